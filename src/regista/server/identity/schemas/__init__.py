"""Wire models of the identity domain."""
