"""HTTP handlers of the tracking domain."""
