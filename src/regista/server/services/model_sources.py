"""Resolve a model version's `source` server-side, validate it, and decide what the registry copies.

Registration makes a version independent of the run it came from: when the source lives in our own
artifact store (`models:/<model_id>`, `models:/<name>/<version>`, `runs:/<run_id>/<path>`,
`mlflow-artifacts:/...` or `http(s)://.../api/2.0/mlflow-artifacts/artifacts/...`), the files are copied
into registry-managed storage (`_registry/<uuid>`) and served from there by get-download-uri.
Sources outside our store (another bucket, a path on the client's machine) cannot be copied by this
server; they are kept as given and get-download-uri returns them unchanged.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from regista.errors import InvalidParameter, NotFound
from regista.schemas.numbers import is_ascii_int
from regista.server.artifacts.uris import to_relative_path
from regista.server.services import authz
from regista.server.services.context import Context
from regista.server.services.registry_rules import STAGE_BY_LOWER, parse_version
from regista.server.stores import aliases as alias_store
from regista.server.stores import model_versions as mv_store
from regista.server.stores import registered_models as rm_store
from regista.server.stores.logged_models import find_logged_model
from regista.server.stores.runs import find_run


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
    # Whether the caller's read access to the run, logged model or version that owns `copy_from` was
    # checked here; otherwise the copy is authorized by its path (services/artifacts.authorize_path).
    owner_checked: bool = False


def _require_source_experiment(ctx: Context, experiment_id: int) -> None:
    """The caller must be able to read the experiment a source run or logged model belongs to, whether or
    not its files get copied: the new version exposes the source's run, model id and download location."""
    authz.require_experiment_level(ctx, experiment_id, authz.CAN_READ, str(experiment_id))


def invalid_source(source: str, why: str = "") -> InvalidParameter:
    return InvalidParameter(f"Invalid model version source: '{source}'.{(' ' + why) if why else ''}")


def _reject_traversal(source: str) -> None:
    text = source
    while (unquoted := unquote(text)) != text:
        text = unquoted
    if "\x00" in text or any(part == ".." for part in text.replace("\\", "/").split("/")):
        raise invalid_source(
            source, "An absolute path without relative path references ('..') must be provided."
        )


def _within(rel: str, root: str | None) -> bool:
    if root is None:
        return False
    root = root.strip("/")
    rel = rel.strip("/")
    return bool(root) and (rel == root or rel.startswith(root + "/"))


def _exists(ctx: Context, rel: str) -> bool:
    return ctx.artifacts.is_dir(rel) or ctx.artifacts.is_file(rel)


def resolve_source(ctx: Context, source: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    """Validate `source` against run_id/model_id and work out run_id, model_id and what to copy."""
    if not source:
        raise invalid_source(source, "The source must not be empty.")
    _reject_traversal(source)
    parsed = urlparse(source)
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
    rel = to_relative_path(source)
    logged = _logged_model_or_400(ctx, source, model_id) if model_id else None
    if logged is not None:
        _require_source_experiment(ctx, logged.experiment_id)
    if rel is None:
        run_id = run_id or (logged.source_run_id if logged is not None else None)
        return ResolvedSource(source, run_id, model_id, None, None, logged is not None)
    if logged is not None:
        if not _within(rel, to_relative_path(logged.artifact_location)):
            raise invalid_source(source, "The model_id request parameter must identify the resource that "
                                 "contains the source.")
        run_id = run_id or logged.source_run_id
    elif run_id:
        run = find_run(ctx.conn, run_id)
        if run is None or not _within(rel, to_relative_path(run.artifact_uri)):
            raise invalid_source(source, "The run_id request parameter must identify the resource that "
                                 "contains the source.")
        _require_source_experiment(ctx, run.experiment_id)
    copy_from = rel if _exists(ctx, rel) else None
    return ResolvedSource(source, run_id, model_id, copy_from, None, logged is not None,
                          owner_checked=logged is not None or bool(run_id))


def _logged_model_or_400(ctx: Context, source: str, model_id: str) -> Any:
    logged = find_logged_model(ctx.conn, model_id)
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
    rel = to_relative_path(logged.artifact_location)
    run_id = run_id or logged.source_run_id
    if rel is None:
        return ResolvedSource(source, run_id, ref, None, logged.artifact_location, True)
    copy_from = rel if _exists(ctx, rel) else None
    return ResolvedSource(source, run_id, ref, copy_from, None if copy_from else logged.artifact_location, True,
                          owner_checked=True)


def _from_run(ctx: Context, source: str, parsed: Any, run_id: str | None, model_id: str | None) -> ResolvedSource:
    path = parsed.path.strip("/")
    source_run_id, _, sub = path.partition("/")
    if parsed.netloc or not source_run_id or (run_id and run_id != source_run_id):
        raise invalid_source(source, "The run_id request parameter must identify the resource that "
                             "contains the source.")
    if model_id:
        raise invalid_source(source, "A runs:/ source cannot be combined with a model_id.")
    run = find_run(ctx.conn, source_run_id)
    if run is not None:
        _require_source_experiment(ctx, run.experiment_id)
        root = to_relative_path(run.artifact_uri)
        if root is not None:
            rel = posixpath.join(root, sub) if sub else root
            if _exists(ctx, rel):
                return ResolvedSource(source, source_run_id, None, rel, None, owner_checked=True)
        if sub:
            # MLflow 3 logs models as logged models, not run artifacts: runs:/<run>/<name> means the
            # run's logged model called <name> (what the client itself resolves it to).
            logged = mv_store.find_logged_model_by_run_and_name(ctx.conn, source_run_id, sub)
            if logged is not None:
                lrel = to_relative_path(logged.artifact_location)
                if lrel is not None and _exists(ctx, lrel):
                    return ResolvedSource(source, source_run_id, logged.model_id, lrel, None, True,
                                          owner_checked=True)
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
    rel = to_relative_path(location)
    copy_from = rel if rel is not None and _exists(ctx, rel) else None
    return ResolvedSource(
        f"models:/{name}/{version}", src.run_id, src.model_id, copy_from,
        None if copy_from else location, src.model_id is not None, owner_checked=True,
    )


def _select_version(ctx: Context, rm: Any, name: str, selector: str, alias: str | None) -> int:
    if alias is not None:
        version = alias_store.find_alias_version(ctx.conn, rm.id, alias)
        if version is None:
            raise InvalidParameter(f"Registered model alias {alias} not found.")
        return version
    if is_ascii_int(selector):
        return parse_version(selector)
    stage = STAGE_BY_LOWER.get(selector.lower())
    if selector.lower() != "latest" and stage is None:
        raise invalid_source(f"models:/{name}/{selector}", "Expected a version, a stage or 'latest'.")
    rows = rm_store.latest_versions(ctx.conn, [rm.id], None if stage is None else [stage])
    if not rows:
        raise NotFound(f"No versions of registered model {name} found for '{selector}'.")
    return max(r.version for r in rows)


def registry_copies(locations: Sequence[str | None]) -> list[str]:
    """The repository paths among `locations` that are registry-managed copies (safe to delete)."""
    out = []
    for loc in locations:
        rel = to_relative_path(loc) if loc else None
        if rel and rel.startswith("_registry/"):
            out.append(rel)
    return out
