"""Map artifact URIs the server hands out (mlflow-artifacts:/<path>) to repository-relative paths."""

from __future__ import annotations

from urllib.parse import urlparse

ARTIFACTS_SCHEME = "mlflow-artifacts"
PROXY_PATH_MARKER = "/api/2.0/mlflow-artifacts/artifacts"


def to_uri(rel_path: str) -> str:
    """The URI for a repository-relative path; it resolves against whatever tracking URI the client uses."""
    return f"{ARTIFACTS_SCHEME}:/{rel_path.lstrip('/')}"


def to_relative_path(uri: str) -> str | None:
    """Repository-relative path of a URI served by this server, or None for a foreign location."""
    parsed = urlparse(uri)
    if parsed.scheme == ARTIFACTS_SCHEME:
        return parsed.path.lstrip("/")
    if parsed.scheme in ("http", "https") and PROXY_PATH_MARKER in parsed.path:
        return parsed.path.split(PROXY_PATH_MARKER, 1)[1].lstrip("/")
    return None
