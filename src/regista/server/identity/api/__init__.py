"""HTTP handlers of the identity domain."""
