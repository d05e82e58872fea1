"""Business rules of the registry domain."""
