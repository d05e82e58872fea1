"""regista: a self-hosted, MLflow-compatible model lifecycle server."""

__version__ = "0.1.0"
