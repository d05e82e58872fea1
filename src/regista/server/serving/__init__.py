"""Model serving: serving endpoints, their model worker processes and invocations."""
