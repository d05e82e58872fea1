"""SQL of the events domain."""
