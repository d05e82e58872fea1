"""Business rules of the permissions domain."""
