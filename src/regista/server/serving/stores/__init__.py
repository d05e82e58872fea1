"""SQL of serving endpoints."""
