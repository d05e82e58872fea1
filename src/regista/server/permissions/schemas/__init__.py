"""Wire models of the permissions domain."""
