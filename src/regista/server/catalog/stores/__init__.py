"""SQL of the catalog domain."""
