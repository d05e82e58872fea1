"""Wire shapes of the serving-endpoints API."""
