"""Resolve a model version's `source` server-side, validate it, and decide what the registry copies.

Registration makes a version independent of the run it came from: when the source lives in our own
artifact store (`models:/<model_id>`, `models:/<name>/<version>`, `runs:/<run_id>/<path>`,
`mlflow-artifacts:/...` or `http(s)://.../api/2.0/mlflow-artifacts/artifacts/...`), the files are copied
into registry-managed storage (`_registry/<uuid>`) and served from there by get-download-uri.
Every store path goes through artifacts/uris.store_path (ADR 0004); the caller must be able to read the
path where it is, by its owner looked up from the path. The whole store and the registry's own storage are
never sources (only `models:/<name>/<version>` copies a registry copy again).
Sources outside our store (another bucket) cannot be copied by this server; they are kept as given and
get-download-uri returns them unchanged. Local paths are accepted only inside the source run's own local
artifact directory, as the official server does, and loopback, link-local and metadata hosts never.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlparse

from regista.errors import InvalidParameter, NotFound
from regista.schemas.numbers import is_ascii_int
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.registry.services.registry_rules import STAGE_BY_LOWER, parse_version
from regista.server.registry.stores import aliases as alias_store
from regista.server.registry.stores import model_versions as mv_store
from regista.server.registry.stores import registered_models as rm_store
from regista.server.storage.external import (
    forbidden_host,
    fully_decoded,
    has_parent_reference,
    is_local,
    local_path,
    path_within,
)
from regista.server.storage.uris import is_registry_path, store_path, within
from regista.server.tracking.services import logged_models as tracking_models
from regista.server.tracking.services import runs as tracking_runs

_LOCAL_SOURCE = ("To use a local path as a model version source, the run_id request parameter has to be "
                 "specified and the local path has to be contained within the artifact directory of the run "
                 "specified by the run_id.")

@dataclass(frozen=True)
class ResolvedSource:
    source: str
    run_id: str | None
    model_id: str | None
    # Repository-relative path to copy into registry storage, or None when nothing can be copied.
    copy_from: str | None
    # Download location kept as-is when nothing is copied (None: get-download-uri returns `source`).
    storage_location: str | None
    # Whether `model_id` names a logged model of this server (its mlflow.modelVersions tag is kept).
    logged_model_known: bool = False
    # The canonical store path the source names, copied or not: the caller must be allowed to read it
    # where it is (services/artifact_access.authorize_path looks its owner up from the path itself).
    store_path: str | None = None


def _require_source_experiment(ctx: Context, experiment_id: int) -> None:
    """The caller must be able to read the experiment a source run or logged model belongs to, whether or
    not its files get copied: the new version exposes the source's run, model id and download location."""
    authz.require_experiment_level(ctx, experiment_id, authz.CAN_READ, str(experiment_id))


def invalid_source(source: str, why: str = "") -> InvalidParameter:
    return InvalidParameter(f"Invalid model version source: '{source}'.{(' ' + why) if why else ''}")


def _reject_traversal(source: str) -> None:
    if "\x00" in fully_decoded(source) or has_parent_reference(source):
        raise invalid_source(
            source, "An absolute path without relative path references ('..') must be provided."
        )


def _store_rel(source: str, uri: str, *, allow_registry: bool = False) -> str | None:
    """The canonical store path `uri` names (None outside the store), as a source may use it: never the
    whole store, and inside the registry's own storage only for a registered version's copy."""
    try:
        rel = store_path(uri)
    except InvalidParameter as err:
        raise invalid_source(source, err.message) from None
    if rel == "":
        raise invalid_source(source, "The whole artifact store cannot be a source: it contains the "
                             "registry's own storage.")
    if rel is not None and is_registry_path(rel) and not allow_registry:
        raise invalid_source(source, "The registry's own storage (_registry/) is not a valid source: "
                             "register a version's files again with models:/<name>/<version>.")
    return rel


def _exists(ctx: Context, rel: str) -> bool:
    return ctx.artifacts.is_dir(rel) or ctx.artifacts.is_file(rel)


def _check_external(ctx: Context, source: str, run_id: str | None, logged: Any) -> None:
    """A source outside the store is kept as a reference, except a local path outside the run's (or logged
    model's) own local artifact directory, and hosts no model lives on."""
    if is_local(source):
        root = None
        if logged is not None:
            root = logged.artifact_location
        elif run_id:
            run = tracking_runs.find_run(ctx, run_id)
            if run is not None:
                _require_source_experiment(ctx, run.experiment_id)
                root = run.artifact_uri
        path = local_path(source)
        root_path = local_path(root) if root is not None and is_local(root) else None
        if path is None or root_path is None or not path_within(path, root_path):
            raise invalid_source(source, _LOCAL_SOURCE)
        return
    host = forbidden_host(source)
    if host is not None:
        raise invalid_source(source, f"'{host}' is a loopback, link-local or metadata address, which no "
                             "model version may point to.")


# The placeholder sources of prompt versions: the mlflow client's prompt registry sends "dummy-source", its
# stores "prompt-template" (mlflow/prompt/constants.py). A prompt version has no files.
PROMPT_SOURCES = frozenset({"dummy-source", "prompt-template"})


def prompt_source(source: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    """A prompt version's source: one of the placeholders, kept as given with nothing to copy."""
    if source not in PROMPT_SOURCES:
        raise InvalidParameter(f"Invalid prompt source: '{source}'. Prompt sources must use an MLflow placeholder.")
    return ResolvedSource(source, run_id, model_id, None, None)


def resolve_source(ctx: Context, source: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    """Validate `source` against run_id/model_id and work out run_id, model_id and what to copy."""
    if not source:
        raise invalid_source(source, "The source must not be empty.")
    _reject_traversal(source)
    try:
        parsed = urlparse(source)
    except ValueError:
        raise invalid_source(source, "It is not a valid URI.") from None
    scheme = parsed.scheme.lower()
    if scheme == "models":
        if parsed.netloc:
            raise invalid_source(source, "Registered model sources must use this model registry.")
        ref = parsed.path.strip("/")
        if "/" in ref or "@" in ref:
            return _from_registered_version(ctx, source, ref, run_id, model_id)
        return _from_logged_model(ctx, source, ref, run_id, model_id)
    if scheme == "runs":
        return _from_run(ctx, source, parsed, run_id, model_id)
    rel = _store_rel(source, source)
    logged = _logged_model_or_400(ctx, source, model_id) if model_id else None
    if logged is not None:
        _require_source_experiment(ctx, logged.experiment_id)
    if rel is None:
        _check_external(ctx, source, run_id, logged)
        run_id = run_id or (logged.source_run_id if logged is not None else None)
        return ResolvedSource(source, run_id, model_id, None, None, logged is not None)
    if logged is not None:
        root = _store_rel(source, logged.artifact_location)
        if root is None or not within(rel, root):
            raise invalid_source(source, "The model_id request parameter must identify the resource that "
                                 "contains the source.")
        run_id = run_id or logged.source_run_id
    elif run_id:
        run = tracking_runs.find_run(ctx, run_id)
        if run is None:
            raise invalid_source(source, "The run_id request parameter must identify the resource that "
                                 "contains the source.")
        _require_source_experiment(ctx, run.experiment_id)
        root = _store_rel(source, run.artifact_uri)
        if root is None or not within(rel, root):
            raise invalid_source(source, "The run_id request parameter must identify the resource that "
                                 "contains the source.")
    copy_from = rel if _exists(ctx, rel) else None
    return ResolvedSource(source, run_id, model_id, copy_from, None, logged is not None, store_path=rel)


def _logged_model_or_400(ctx: Context, source: str, model_id: str) -> Any:
    logged = tracking_models.find_logged_model(ctx, model_id)
    if logged is None:
        raise invalid_source(source, "The model_id request parameter must identify the resource that "
                             "contains the source.")
    return logged


def _from_logged_model(
    ctx: Context, source: str, ref: str, run_id: str | None, model_id: str | None
) -> ResolvedSource:
    if not ref or (model_id and model_id != ref):
        raise invalid_source(source, "The model_id request parameter must identify the resource that "
                             "contains the source.")
    logged = _logged_model_or_400(ctx, source, ref)
    _require_source_experiment(ctx, logged.experiment_id)
    run_id = run_id or logged.source_run_id
    rel = _store_rel(source, logged.artifact_location)
    if rel is None:
        return ResolvedSource(source, run_id, ref, None, logged.artifact_location, True)
    copy_from = rel if _exists(ctx, rel) else None
    return ResolvedSource(source, run_id, ref, copy_from, None if copy_from else logged.artifact_location, True,
                          store_path=rel)


def _from_run(ctx: Context, source: str, parsed: Any, run_id: str | None, model_id: str | None) -> ResolvedSource:
    path = parsed.path.strip("/")
    source_run_id, _, sub = path.partition("/")
    if parsed.netloc or not source_run_id or (run_id and run_id != source_run_id):
        raise invalid_source(source, "The run_id request parameter must identify the resource that "
                             "contains the source.")
    if model_id:
        raise invalid_source(source, "A runs:/ source cannot be combined with a model_id.")
    run = tracking_runs.find_run(ctx, source_run_id)
    if run is not None:
        _require_source_experiment(ctx, run.experiment_id)
        # The path below the run's artifact root, joined the way the client resolves runs:/ URIs.
        rel = _store_rel(source, f"{run.artifact_uri.rstrip('/')}/{sub}" if sub else run.artifact_uri)
        if rel is not None and _exists(ctx, rel):
            return ResolvedSource(source, source_run_id, None, rel, None, store_path=rel)
        if sub:
            # MLflow 3 logs models as logged models, not run artifacts: runs:/<run>/<name> means the
            # run's logged model called <name> (what the client itself resolves it to).
            logged = mv_store.find_logged_model_by_run_and_name(ctx.conn, source_run_id, sub)
            if logged is not None:
                lrel = _store_rel(source, logged.artifact_location)
                if lrel is not None and _exists(ctx, lrel):
                    return ResolvedSource(source, source_run_id, logged.model_id, lrel, None, True,
                                          store_path=lrel)
    return ResolvedSource(source, source_run_id, None, None, None)


def _from_registered_version(
    ctx: Context, source: str, ref: str, run_id: str | None, model_id: str | None
) -> ResolvedSource:
    if "/" in ref:
        name, _, selector = ref.partition("/")
        alias = None
    else:
        name, _, alias = ref.rpartition("@")
        selector = ""
    rm = rm_store.get_registered_model(ctx.conn, name)
    # Before the alias or stage is looked up, so an unreadable model reveals none of its names.
    authz.require_model_level(ctx, rm.id, authz.CAN_READ, name)
    version = _select_version(ctx, rm, name, selector, alias)
    src = mv_store.find_model_version(ctx.conn, rm.id, version)
    if src is None:
        raise mv_store.not_found(name, version)
    if (run_id is not None and run_id != (src.run_id or "")) or (
        model_id is not None and model_id != (src.model_id or "")
    ):
        raise invalid_source(source, "The run_id and model_id request parameters must match the "
                             "referenced model version.")
    location = src.storage_location or src.source
    rel = _store_rel(source, location, allow_registry=True)
    copy_from = rel if rel is not None and _exists(ctx, rel) else None
    return ResolvedSource(
        f"models:/{name}/{version}", src.run_id, src.model_id, copy_from,
        None if copy_from else location, src.model_id is not None, store_path=rel,
    )


def _select_version(ctx: Context, rm: Any, name: str, selector: str, alias: str | None) -> int:
    if alias is not None:
        version = alias_store.find_alias_version(ctx.conn, rm.id, alias)
        if version is None:
            raise alias_store.not_found(alias)
        return version
    if is_ascii_int(selector):
        return parse_version(selector)
    stage = STAGE_BY_LOWER.get(selector.lower())
    if selector.lower() != "latest" and stage is None:
        raise invalid_source(f"models:/{name}/{selector}", "Expected a version, a stage or 'latest'.")
    rows = rm_store.latest_versions(ctx.conn, [rm.id], None if stage is None else [stage])
    if not rows:
        raise NotFound(f"No versions of registered model {name} found for '{selector}'.")
    latest: int = max(r.version for r in rows)
    return latest


def remove_copies_after_commit(ctx: Context, locations: Sequence[str | None]) -> None:
    """Remove the registry copies among `locations` once the deletion that orphaned them has committed
    (never if it rolls back: the versions, and their files, are still there). A removal that fails is
    logged and left to the orphan sweep (registry_storage)."""
    for rel in registry_copies(locations):
        ctx.after_commit(partial(ctx.artifacts.delete, rel))


def registry_copies(locations: Sequence[str | None]) -> list[str]:
    """The repository paths among `locations` that are registry-managed copies (safe to delete)."""
    out = []
    for loc in locations:
        try:
            rel = store_path(loc) if loc else None
        except InvalidParameter:
            continue
        if rel and is_registry_path(rel) and rel.count("/") == 1:
            out.append(rel)
    return out
