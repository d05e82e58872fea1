"""Wire models of the events domain."""
