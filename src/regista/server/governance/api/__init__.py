"""HTTP handlers of the governance domain."""
