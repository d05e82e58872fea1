"""SQL for evaluation datasets and their records."""
