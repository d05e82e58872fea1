"""HTTP handlers of the registry domain."""
