"""HTTP handlers of the events domain."""
