"""Evaluation datasets: validation, the permission rule and the operations."""
