"""Liveness and version probes: /health, /version and /api/3.0/mlflow/server-info."""

from fastapi import APIRouter
from starlette.responses import PlainTextResponse, Response

from regista import __version__
from regista.server.http.responses import JSON

router = APIRouter()

SERVER_INFO = {
    "store_type": "SqlStore",
    "workspaces_enabled": False,
    "artifact_serving_enabled": True,
    # Plain proxied PUT/GET streams any size; multipart/presigned flows stay off.
    "multipart_uploads_enabled": False,
    "multipart_downloads_enabled": False,
    "artifacts_presigned_only": False,
}


@router.get("/health", response_class=PlainTextResponse)
def health() -> Response:
    return PlainTextResponse("OK")


# The MLflow API level regista implements: the mlflow client reads /version to decide which features the
# server has (3.4 and later: spans logged over OTLP at /v1/traces). regista's own version rides along as
# the local label, which version comparisons ignore.
MLFLOW_API_LEVEL = "3.17.2"


@router.get("/version", response_class=PlainTextResponse)
def version() -> Response:
    return PlainTextResponse(f"{MLFLOW_API_LEVEL}+regista.{__version__}")


@router.get("/api/3.0/mlflow/server-info")
def server_info() -> Response:
    return JSON(SERVER_INFO)
