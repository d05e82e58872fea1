"""Who may touch which file of a Unity Catalog version through the Files API (`/Models/<catalog>/<schema>/
<model>/<version>/<path>`), and where that file lives in the artifact store (`_catalog/<32 hex>/<path>`).

Uploads need ownership (or MANAGE) of the model and a version still PENDING_REGISTRATION: a READY version's
files never change. Reads need EXECUTE (or ownership) and a READY version: a version pending registration
is not loadable.
"""

from __future__ import annotations

from dataclasses import dataclass

from regista.errors import InvalidParameter, NotFound
from regista.server.catalog.services import uc_versions
from regista.server.catalog.services.uc_models import manageable
from regista.server.context import Context
from regista.server.storage.repository import validate_client_path

MODELS_ROOT = "Models"


@dataclass(frozen=True)
class FileTarget:
    """A path of the store, and the Files API path it was asked by (entries of a listing are named under it)."""

    store_path: str
    api_path: str


def _split(path: str) -> tuple[str, str, str, str, str]:
    """(catalog, schema, model, version, path inside the version) of `Models/c/s/m/v/...`."""
    parts = path.strip("/").split("/", 5)
    if len(parts) < 5 or parts[0] != MODELS_ROOT:
        raise NotFound(f"No such file or directory: '/{path.strip('/')}' (this server serves /Models/... only).")
    rest = parts[5] if len(parts) == 6 else ""
    return parts[1], parts[2], parts[3], parts[4], rest


def _target(row_storage: str, rest: str, api_path: str) -> FileTarget:
    rel = validate_client_path(rest) if rest else ""
    return FileTarget(f"{row_storage}/{rel}" if rel else row_storage, "/" + api_path.strip("/"))


def upload_target(ctx: Context, path: str) -> FileTarget:
    c, s, m, v, rest = _split(path)
    if not rest:
        raise InvalidParameter("A file upload must name a file inside the model version.")
    model = manageable(ctx, f"{c}.{s}.{m}", "uploadModelVersionFile")
    row = uc_versions.version_row(ctx, model, v)
    if row.status != uc_versions.PENDING:
        raise InvalidParameter(
            f"Model version {model.full_name}/{row.version} is {row.status}: its files can no longer change."
        )
    return _target(row.storage_path, rest, path)


def read_target(ctx: Context, path: str) -> FileTarget:
    c, s, m, v, rest = _split(path)
    _, row = uc_versions.ready_version(ctx, f"{c}.{s}.{m}", v, "readModelVersionFile")
    return _target(row.storage_path, rest, path)
