"""The HTTP API: one thin router module per context, mounted under /api/v1."""
