"""SQL of the identity domain."""
