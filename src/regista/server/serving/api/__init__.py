"""HTTP handlers of the serving-endpoints API and invocations."""
