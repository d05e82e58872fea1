"""The mlflow-artifacts proxy's operations: which store path a request may upload, download, list or
delete. Each runs inside the request's transaction and returns the canonical path; the file I/O itself
happens after the transaction has ended (artifacts/api/artifacts.py), so it never holds a connection or
the SQLite write lock."""

from __future__ import annotations

from regista.errors import InvalidParameter
from regista.server.artifacts.services.artifact_access import authorize_path
from regista.server.context import Context
from regista.server.storage.repository import validate_client_path


def _file_path(path: str) -> str:
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Artifact path must name a file.")
    return rel


def upload_path(ctx: Context, path: str) -> str:
    """The path a file upload writes: CAN_EDIT on its owner (admins pass without a query)."""
    rel = _file_path(path)
    authorize_path(ctx, rel, write=True)
    return rel


def download_path(ctx: Context, path: str) -> str:
    """The path of a file to download: CAN_READ on its owner."""
    rel = _file_path(path)
    authorize_path(ctx, rel, write=False)
    return rel


def listing_path(ctx: Context, path: str) -> str:
    """The directory to list ("" is the store's root, admins only): CAN_READ on its owner."""
    rel = validate_client_path(path) if path else ""
    authorize_path(ctx, rel, write=False)
    return rel


def delete_artifact(ctx: Context, path: str) -> str:
    """Check that the caller may delete `path` (a file or a whole directory; CAN_EDIT on its owner) and
    record the deletion; returns the path to remove once the transaction has committed. Deleting what is
    not there succeeds, as on the official server."""
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Refusing to delete the artifact root.")
    authorize_path(ctx, rel, write=True)
    ctx.record("artifact.deleted", {"path": rel})
    return rel
