"""Wire models of the governance domain."""
