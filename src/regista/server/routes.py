"""Which domain's routers answer under which prefixes: the MLflow REST API (/api/2.0/mlflow, its /ajax-api
twin, /api/2.0/mlflow-artifacts) and the Databricks REST API subset the databricks-sdk calls."""

from fastapi import APIRouter, FastAPI

from regista.server.artifacts.api import artifacts
from regista.server.catalog.api import files as catalog_files
from regista.server.catalog.api import governance as catalog_governance
from regista.server.catalog.api import mlflow_uc, unity_catalog, uploads
from regista.server.datasets.api import datasets as evaluation_datasets
from regista.server.events.api import deliveries, notifications, webhooks_databricks, webhooks_mlflow
from regista.server.governance.api import model_registry
from regista.server.http.route_index import ExactPathIndex
from regista.server.identity.api import discovery, scim, tokens
from regista.server.permissions.api import permissions
from regista.server.registry.api import (
    listings as registry_listings,
)
from regista.server.registry.api import (
    model_versions,
    registered_models,
    registered_models_databricks,
)
from regista.server.serving.api import endpoints as serving_endpoints
from regista.server.serving.api import invocations
from regista.server.traces.api import assessments as trace_assessments
from regista.server.traces.api import otlp
from regista.server.traces.api import traces as traces_api
from regista.server.tracking.api import experiments, listings, logged_models, metrics, runs
from regista.server.ui.api import admin as admin_pages
from regista.server.ui.api import admin_audit as admin_audit_page
from regista.server.ui.api import admin_webhooks as admin_webhook_pages
from regista.server.ui.api import catalog as catalog_pages
from regista.server.ui.api import compare_runs as compare_runs_page
from regista.server.ui.api import compare_versions as compare_page
from regista.server.ui.api import experiments as experiment_pages
from regista.server.ui.api import model as model_page
from regista.server.ui.api import model_version as version_page
from regista.server.ui.api import models as model_pages
from regista.server.ui.api import permissions as permission_pages
from regista.server.ui.api import run as run_page
from regista.server.ui.api import serving as serving_pages
from regista.server.ui.api import settings as settings_pages
from regista.server.ui.api import shell

# Routers whose paths are relative to /api/2.0/mlflow; the official server also serves them under
# /ajax-api/2.0/mlflow (for its web UI), so we do too.
MLFLOW_ROUTERS: list[APIRouter] = [
    experiments.router,
    runs.router,
    metrics.router,
    logged_models.router,
    registered_models.router,
    model_versions.router,
    webhooks_mlflow.router,
]

# Routers of MLflow 3 endpoints, relative to /api/3.0/mlflow (and /ajax-api/3.0/mlflow).
MLFLOW_3_ROUTERS: list[APIRouter] = [evaluation_datasets.router]
MLFLOW_3_PREFIXES = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")

# Databricks serves its registry RPCs under /api/2.0/mlflow and /api/2.0/preview/mlflow; its web UI calls
# the /ajax-api/ forms. We answer on all of them.
REGISTRY_PREFIXES = (
    "/api/2.0/mlflow",
    "/api/2.0/preview/mlflow",
    "/ajax-api/2.0/mlflow",
    "/ajax-api/2.0/preview/mlflow",
)


def path_index(app: FastAPI) -> ExactPathIndex:
    """The app's one index of fixed paths, first in line: fixed paths are found by one lookup; everything
    else falls through to FastAPI's scan."""
    for route in app.router.routes:
        if isinstance(route, ExactPathIndex):
            return route
    index = ExactPathIndex()
    app.router.routes.insert(0, index)
    return index


def include_mlflow_api(app: FastAPI) -> None:
    index = path_index(app)
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        for router in MLFLOW_ROUTERS:
            # The OpenAPI schema lists each operation once, under its canonical prefix.
            app.include_router(router, prefix=prefix, include_in_schema=prefix == "/api/2.0/mlflow")
            index.add_router(router, prefix)
    # MLflow 3 APIs the official server answers only under the 3.0 prefixes (and their /ajax-api twins).
    for prefix in MLFLOW_3_PREFIXES:
        for router in MLFLOW_3_ROUTERS:
            app.include_router(router, prefix=prefix, include_in_schema=prefix == MLFLOW_3_PREFIXES[0])
            index.add_router(router, prefix)
    # Artifact proxy routes carry their own absolute paths (/api/2.0/mlflow-artifacts/...).
    app.include_router(artifacts.router)
    include_traces_api(app)


# MLflow 3's trace APIs: the legacy v2 routes, the v3 routes (and assessments), and the routes both serve.
TRACE_ROUTERS: dict[str, list[APIRouter]] = {
    "2.0": [traces_api.v2_router, traces_api.common_router],
    "3.0": [traces_api.v3_router, traces_api.common_router, trace_assessments.router],
}


def include_traces_api(app: FastAPI) -> None:
    index = path_index(app)
    for version, routers in TRACE_ROUTERS.items():
        for prefix in (f"/api/{version}/mlflow", f"/ajax-api/{version}/mlflow"):
            for router in routers:
                # Each operation once in the OpenAPI schema: the shared routes under the v2 prefix.
                listed = prefix.startswith("/api/") and not (router is traces_api.common_router and version == "3.0")
                app.include_router(router, prefix=prefix, include_in_schema=listed)
                index.add_router(router, prefix)
    # OTLP's own absolute path, as OpenTelemetry exporters append it to the endpoint they are given.
    app.include_router(otlp.router)


# The mlflow client's Unity Catalog registry (registry URI `databricks-uc`); Databricks also answers on the
# preview prefix.
UNITY_CATALOG_RPC_PREFIXES = ("/api/2.0/mlflow/unity-catalog", "/api/2.0/preview/mlflow/unity-catalog")


def include_unity_catalog_api(app: FastAPI) -> None:
    # Fixed paths in the index too: without it every Unity Catalog call walked the whole route list (both
    # MLflow prefixes before it), which cost more CPU than its grant checks.
    index = path_index(app)
    for prefix in UNITY_CATALOG_RPC_PREFIXES:
        app.include_router(mlflow_uc.router, prefix=prefix, include_in_schema=prefix == UNITY_CATALOG_RPC_PREFIXES[0])
        index.add_router(mlflow_uc.router, prefix)
    for router in (unity_catalog.router, catalog_governance.router):
        app.include_router(router, prefix="/api/2.1/unity-catalog")
        index.add_router(router, "/api/2.1/unity-catalog")
    # The Files API routes carry their own absolute paths (/api/2.0/fs/...).
    app.include_router(catalog_files.router)
    app.include_router(uploads.router)
    app.include_router(uploads.part_router)


def include_databricks_api(app: FastAPI) -> None:
    app.include_router(discovery.router)
    app.include_router(scim.router, prefix="/api/2.0/preview/scim/v2")
    app.include_router(tokens.router, prefix="/api/2.0")
    app.include_router(permissions.router, prefix="/api/2.0/permissions")
    app.include_router(serving_endpoints.router, prefix="/api/2.0/serving-endpoints")
    app.include_router(serving_endpoints.usage_router, prefix="/api/2.0/regista")
    # Invocations carry their own absolute path (/serving-endpoints/{name}/invocations, no /api prefix).
    app.include_router(invocations.router)
    # regista's own admin API (the delivery log of webhooks and e-mails).
    app.include_router(deliveries.router, prefix="/api/2.0/regista")
    for prefix in REGISTRY_PREFIXES:
        # The OpenAPI schema lists each operation once, under the first (canonical) prefix.
        canonical = prefix == REGISTRY_PREFIXES[0]
        for router in (registered_models_databricks.router, model_registry.router, listings.router,
                       registry_listings.router, webhooks_databricks.router, notifications.router):
            app.include_router(router, prefix=prefix, include_in_schema=canonical)


# The web UI's page routers (server/ui/api), served at the root: `/`, `/signin`, `/models`, ...
UI_ROUTERS: list[APIRouter] = [
    shell.router,
    permission_pages.router,
    model_pages.router,
    model_page.router,
    version_page.router,
    compare_page.router,
    experiment_pages.router,
    run_page.router,
    compare_runs_page.router,
    settings_pages.router,
    admin_pages.router,
    admin_webhook_pages.router,
    admin_audit_page.router,
    catalog_pages.router,
    serving_pages.router,
]


def include_web_ui(app: FastAPI) -> None:
    for router in UI_ROUTERS:
        app.include_router(router)
