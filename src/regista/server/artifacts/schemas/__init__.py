"""Wire models of the artifacts domain."""
