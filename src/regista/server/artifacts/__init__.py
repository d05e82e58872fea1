"""Artifacts: the mlflow-artifacts proxy and the web UI's artifact routes, and who may touch which store path."""
