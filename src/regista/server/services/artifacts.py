"""Who may read or write a path of the artifact proxy, and the run- and logged-model-scoped artifact
reads and writes the web UI calls (artifacts/list, get-artifact, upload-artifact, logged-models/{id}/artifacts).

A proxy path belongs to the object its first segment names:
- `<experiment id>/...` (runs under `<id>/<run id>/artifacts`, logged models under `<id>/models/...`):
  CAN_READ on the experiment to download or list, CAN_EDIT to upload or delete;
- `_registry/<uuid>/...` (the registry's copy of a model version): CAN_READ on the registered model to
  download or list; only admins write there (the registry writes these copies itself);
- anything else, including the store's root: admins only.
Admins pass without a query; everyone else costs one indexed grant lookup (plus the version lookup for
registry copies).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

from regista.errors import InvalidParameter, NotFound, PermissionDenied
from regista.server.artifacts.external import forbidden_host, is_local
from regista.server.artifacts.repository import ArtifactEntry, validate_client_path
from regista.server.artifacts.uris import REGISTRY_ROOT, is_registry_path, store_path, to_uri
from regista.server.services import authz
from regista.server.services.authz import CAN_EDIT, CAN_READ
from regista.server.services.context import Context
from regista.server.services.logged_models import permitted_logged_model
from regista.server.stores.artifact_owners import registry_copy_owner
from regista.server.stores.runs import find_run


@dataclass(frozen=True)
class PathOwner:
    """The object whose permissions govern a path of the store: an experiment, a registered model (for a
    registry copy), or nobody (admins only)."""

    kind: str  # "experiment", "registered_model" or "admins"
    object_id: int | None = None
    name: str = ""


ADMINS_ONLY = PathOwner("admins")


def _experiment_id(segment: str) -> int | None:
    """The experiment id a top-level directory names (canonical decimal only: `05` is another directory)."""
    if segment.isascii() and segment.isdigit() and str(int(segment)) == segment:
        return int(segment)
    return None


def path_owner(ctx: Context, rel: str) -> PathOwner:
    """Who owns the canonical repository-relative path `rel`, looked up from the path alone (never from
    whatever run or model a request claims it belongs to)."""
    parts = rel.split("/", 2) if rel else []
    top = parts[0] if parts else ""
    experiment_id = _experiment_id(top)
    if experiment_id is not None:
        return PathOwner("experiment", experiment_id, top)
    if top == REGISTRY_ROOT and len(parts) >= 2:
        owner = registry_copy_owner(ctx.conn, to_uri(f"{REGISTRY_ROOT}/{parts[1]}"))
        if owner is not None:
            return PathOwner("registered_model", owner[0], owner[1])
    return ADMINS_ONLY


def authorize_path(ctx: Context, rel: str, write: bool) -> None:
    """Raise PERMISSION_DENIED unless the caller may read (or, with `write`, change) the canonical
    repository-relative path `rel` ("" is the store's root). Registry copies are written only by the
    registry itself, so writing there is for admins whoever owns the copy."""
    if ctx.principal.is_admin:
        return
    owner = path_owner(ctx, rel)
    if owner.kind == "experiment":
        authz.require_experiment_level(ctx, owner.object_id, CAN_EDIT if write else CAN_READ, owner.name)
        return
    if owner.kind == "registered_model" and not write:
        authz.require_model_level(ctx, owner.object_id, CAN_READ, owner.name)
        return
    action = "write" if write else "read"
    raise PermissionDenied(
        f"User '{ctx.principal.name}' may not {action} artifacts at '{rel or '/'}': only admins may."
    )


def experiment_location(ctx: Context, location: str) -> str:
    """The artifact location to store for a new experiment, normalised once (ADR 0004).

    Inside the store: the canonical `mlflow-artifacts:/<path>`, never the whole store or the registry's
    storage, and only where the creator may write (their own experiments' directories; admins anywhere),
    so no experiment can put its runs, and what is registered from them, in someone else's directory.
    Elsewhere: kept as given, except that a relative path becomes absolute against the server's working
    directory as the official server makes it (a path the client writes to, never the server), and
    fragments, parameters, `..`, runs:/ URIs and loopback, link-local or metadata hosts are refused.
    """
    try:
        rel = store_path(location)
    except InvalidParameter as err:
        raise InvalidParameter(f"Invalid artifact_location {err.message}") from None
    if rel is not None:
        if rel == "" or is_registry_path(rel):
            raise InvalidParameter(f"Invalid artifact_location '{location}': the whole artifact store and the "
                                   "registry's own storage (_registry/) cannot hold an experiment's artifacts.")
        authorize_path(ctx, rel, write=True)
        return to_uri(rel)
    return _external_location(location)


def _external_location(location: str) -> str:
    try:
        parts = urlsplit(location)
    except ValueError:
        raise InvalidParameter(f"Invalid artifact_location '{location}': not a valid URI.") from None
    if "#" in location or urlparse(location).params:
        raise InvalidParameter("'artifact_location' URL can't include fragments or params.")
    decoded = location
    while (step := unquote(decoded)) != decoded:
        decoded = step
    if ".." in decoded.replace("\\", "/").split("/") or ".." in urlsplit(decoded).query:
        raise InvalidParameter(f"Invalid artifact_location '{location}': '..' is not allowed.")
    if parts.scheme.lower() == "runs":
        raise InvalidParameter(f"Artifact location cannot be a runs:/ URI. Given: '{location}'")
    host = forbidden_host(location)
    if host is not None:
        raise InvalidParameter(f"Invalid artifact_location '{location}': '{host}' is a loopback, link-local "
                               "or metadata address.")
    if is_local(location) and len(parts.scheme) != 1:
        path = parts.path if parts.scheme == "file" else location
        if not posixpath.isabs(path):
            absolute = (Path.cwd() / path).as_posix()
            return absolute if parts.scheme == "" else urlunsplit(("file", parts.netloc, absolute, "", ""))
    return location


def _stored_location(ctx: Context, experiment_id: int, root_uri: str, rel: str, write: bool) -> str | None:
    """Repository-relative path of `rel` under an artifact root (the caller already holds the level on
    `experiment_id`), or None when the root lies outside this server's store."""
    root = store_path(root_uri)
    if root is None:
        return None
    where = posixpath.join(root, rel) if rel else root
    if root.split("/", 1)[0] != str(experiment_id):
        # An experiment created with a custom artifact_location inside this store: the files belong to
        # whatever that path names, so its owner decides too.
        authorize_path(ctx, validate_client_path(where), write=write)
    return where


def _require_stored(where: str | None, root_uri: str) -> str:
    if where is None:
        raise InvalidParameter(
            f"The artifacts at '{root_uri}' are not stored by this server; read and write them there."
        )
    return where


def list_run_artifacts(ctx: Context, run_id: str, path: str | None) -> tuple[str, list[ArtifactEntry]]:
    """The run's artifact root URI and the entries directly under `path` (paths relative to the run root);
    CAN_READ on the run's experiment.

    Runs whose artifacts live outside this server's store (a foreign artifact_location) list as empty:
    the server only serves what it stores.
    """
    rel = validate_client_path(path) if path else ""
    run = _permitted_run(ctx, run_id, write=False)
    where = _stored_location(ctx, run.experiment_id, run.artifact_uri, rel, write=False)
    if where is None:
        return run.artifact_uri, []
    return run.artifact_uri, _relative_entries(ctx.artifacts.list_dir(where), rel)


def _relative_entries(entries: list[ArtifactEntry], rel: str) -> list[ArtifactEntry]:
    if not rel:
        return entries
    return [ArtifactEntry(posixpath.join(rel, e.path), e.is_dir, e.file_size) for e in entries]


def _permitted_run(ctx: Context, run_id: str, write: bool) -> Any:
    run = find_run(ctx.conn, run_id)
    if run is None:
        raise NotFound(f"Run with id={run_id} not found")
    level = CAN_EDIT if write else CAN_READ
    authz.require_experiment_level(ctx, run.experiment_id, level, str(run.experiment_id))
    return run


def run_artifact_file(ctx: Context, run_id: str, path: str, write: bool) -> str:
    """Repository-relative path of the file `path` under a run's artifact root, once the caller holds
    CAN_READ (CAN_EDIT to `write`) on the run's experiment (the web UI's get-artifact / upload-artifact)."""
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Artifact path must name a file.")
    run = _permitted_run(ctx, run_id, write)
    where = _stored_location(ctx, run.experiment_id, run.artifact_uri, rel, write)
    return _require_stored(where, run.artifact_uri)


def logged_model_artifact_file(ctx: Context, model_id: str, path: str) -> str:
    """Repository-relative path of a file of a logged model; CAN_READ on the model's experiment."""
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Artifact path must name a file.")
    model = permitted_logged_model(ctx, model_id, CAN_READ)
    where = _stored_location(ctx, model.experiment_id, model.artifact_location, rel, write=False)
    return _require_stored(where, model.artifact_location)


def list_logged_model_artifacts(
    ctx: Context, model_id: str, path: str | None
) -> tuple[str, list[ArtifactEntry]]:
    """A logged model's artifact root URI and the entries directly under `path` (relative to the root);
    CAN_READ on the model's experiment. Models stored elsewhere list as empty, like runs."""
    rel = validate_client_path(path) if path else ""
    model = permitted_logged_model(ctx, model_id, CAN_READ)
    where = _stored_location(ctx, model.experiment_id, model.artifact_location, rel, write=False)
    if where is None:
        return model.artifact_location, []
    return model.artifact_location, _relative_entries(ctx.artifacts.list_dir(where), rel)
