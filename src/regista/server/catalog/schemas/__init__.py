"""Wire shapes of the catalog domain."""
