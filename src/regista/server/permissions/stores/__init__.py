"""SQL of the permissions domain."""
