"""Business rules of the governance domain."""
