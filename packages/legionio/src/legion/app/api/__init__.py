"""The REST API (litestar): envelope `{data, meta}`, errors `{error, meta}`."""
