"""The MLflow REST API (/api/2.0/mlflow, /ajax-api/2.0/mlflow, /api/2.0/mlflow-artifacts, /api/3.0)."""

from fastapi import APIRouter, FastAPI

from regista.server.api.mlflow import (
    artifacts,
    experiments,
    logged_models,
    metrics,
    model_versions,
    registered_models,
    runs,
)
from regista.server.api.route_index import ExactPathIndex

# Routers whose paths are relative to /api/2.0/mlflow; the official server also serves them under
# /ajax-api/2.0/mlflow (for its web UI), so we do too.
MLFLOW_ROUTERS: list[APIRouter] = [
    experiments.router,
    runs.router,
    metrics.router,
    logged_models.router,
    registered_models.router,
    model_versions.router,
]


def include_mlflow_api(app: FastAPI) -> None:
    index = ExactPathIndex()
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        for router in MLFLOW_ROUTERS:
            # The OpenAPI schema lists each operation once, under its canonical prefix.
            app.include_router(router, prefix=prefix, include_in_schema=prefix == "/api/2.0/mlflow")
            index.add_router(router, prefix)
    # First in line: fixed paths are found by one lookup; everything else falls through to the scan.
    app.router.routes.insert(0, index)
    # Artifact proxy routes carry their own absolute paths (/api/2.0/mlflow-artifacts/...).
    app.include_router(artifacts.router)
