"""HTTP handlers of the artifacts domain."""
