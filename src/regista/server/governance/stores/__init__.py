"""SQL of the governance domain."""
