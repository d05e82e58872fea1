"""Wire models of the tracking domain."""
