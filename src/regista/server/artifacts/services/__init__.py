"""Business rules of the artifacts domain."""
