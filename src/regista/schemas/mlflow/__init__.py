"""Request bodies of the MLflow REST API."""
