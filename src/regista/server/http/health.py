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


@router.get("/version", response_class=PlainTextResponse)
def version() -> Response:
    return PlainTextResponse(__version__)


@router.get("/api/3.0/mlflow/server-info")
def server_info() -> Response:
    return JSON(SERVER_INFO)
