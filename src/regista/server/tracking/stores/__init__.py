"""SQL of the tracking domain."""
