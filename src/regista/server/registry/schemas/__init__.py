"""Wire models of the registry domain."""
