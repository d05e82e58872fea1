"""Request messages and wire shapes of the evaluation datasets API."""
