"""Business rules of the tracking domain."""
