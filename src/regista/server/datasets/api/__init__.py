"""HTTP handlers of the evaluation datasets API."""
