"""The HTTP server: routes for each dialect over one gateway core."""
