"""HTTP handlers of the catalog domain (the mlflow databricks-uc RPCs, the /api/2.1/unity-catalog API, the Files API)."""
