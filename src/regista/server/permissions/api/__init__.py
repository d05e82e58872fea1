"""HTTP handlers of the permissions domain."""
