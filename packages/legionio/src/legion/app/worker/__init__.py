"""Worker nodes of full mode: processes that only consume the work plane (no REST API)."""
