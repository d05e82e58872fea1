"""The run- and logged-model-scoped artifact reads and writes the web UI calls (artifacts/list,
get-artifact, upload-artifact, logged-models/{id}/artifacts); who may touch which path is decided in
services/artifact_access.py."""

from __future__ import annotations

import posixpath
from typing import Any

from regista.errors import InvalidParameter
from regista.server.artifacts.services.artifact_access import authorize_path
from regista.server.context import Context
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.storage.repository import ArtifactEntry, ArtifactRepository, validate_client_path
from regista.server.storage.uris import store_path
from regista.server.tracking.services import runs
from regista.server.tracking.services.logged_models import permitted_logged_model


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


def run_artifact_listing(ctx: Context, run_id: str, path: str | None) -> tuple[str, str | None, str]:
    """(the run's artifact root URI, the store path to list or None, `path` made canonical) once the caller
    holds CAN_READ on the run's experiment; `listed_entries` then lists it, outside the transaction.

    Runs whose artifacts live outside this server's store (a foreign artifact_location) list as empty:
    the server only serves what it stores.
    """
    rel = validate_client_path(path) if path else ""
    run = _permitted_run(ctx, run_id, write=False)
    where = _stored_location(ctx, run.experiment_id, run.artifact_uri, rel, write=False)
    return run.artifact_uri, where, rel


def listed_entries(artifacts: ArtifactRepository, where: str | None, rel: str) -> list[ArtifactEntry]:
    """The entries directly under the store path `where`, named relative to the artifact root."""
    if where is None:
        return []
    return _relative_entries(artifacts.list_dir(where), rel)


def _relative_entries(entries: list[ArtifactEntry], rel: str) -> list[ArtifactEntry]:
    if not rel:
        return entries
    return [ArtifactEntry(posixpath.join(rel, e.path), e.is_dir, e.file_size) for e in entries]


def _permitted_run(ctx: Context, run_id: str, write: bool) -> Any:
    return runs.permitted_run(ctx, run_id, CAN_EDIT if write else CAN_READ)


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
