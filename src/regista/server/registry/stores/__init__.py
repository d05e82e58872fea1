"""SQL of the registry domain."""
