"""Business rules of the identity domain."""
