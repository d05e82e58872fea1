"""The Databricks REST API subset the databricks-sdk WorkspaceClient calls (the host-metadata document,
SCIM, tokens, permissions, the workspace registry's governance endpoints and the MLflow 1.x list calls)."""

from fastapi import FastAPI

from regista.server.api.databricks import (
    discovery,
    listings,
    model_registry,
    permissions,
    registered_models,
    scim,
    tokens,
)

# Databricks serves its registry RPCs under /api/2.0/mlflow and /api/2.0/preview/mlflow; its web UI calls
# the /ajax-api/ forms. We answer on all of them.
REGISTRY_PREFIXES = (
    "/api/2.0/mlflow",
    "/api/2.0/preview/mlflow",
    "/ajax-api/2.0/mlflow",
    "/ajax-api/2.0/preview/mlflow",
)


def include_databricks_api(app: FastAPI) -> None:
    app.include_router(discovery.router)
    app.include_router(scim.router, prefix="/api/2.0/preview/scim/v2")
    app.include_router(tokens.router, prefix="/api/2.0")
    app.include_router(permissions.router, prefix="/api/2.0/permissions")
    for prefix in REGISTRY_PREFIXES:
        # The OpenAPI schema lists each operation once, under the first (canonical) prefix.
        canonical = prefix == REGISTRY_PREFIXES[0]
        app.include_router(registered_models.router, prefix=prefix, include_in_schema=canonical)
        app.include_router(model_registry.router, prefix=prefix, include_in_schema=canonical)
        app.include_router(listings.router, prefix=prefix, include_in_schema=canonical)
