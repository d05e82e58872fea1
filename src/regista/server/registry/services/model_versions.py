"""Model versions: create (with the registry's own copy of the files), get, update, delete, tags,
download URI and search.

Versions inherit their model's permissions (docs/governance.md, "Permissions on registered models"): CAN_READ to view a version or
its download URI, CAN_EDIT to create one, update its description or change its tags, CAN_MANAGE to delete it.
Creating a version from files in this server's store also needs read access to those files.
The check reuses the model row each operation fetches anyway, so it costs one indexed ACL query for a
non-admin and none for an admin; a denied request fails before it changes anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

from regista.errors import InvalidParameter
from regista.server.artifacts.services.artifact_access import authorize_path
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_MANAGE, CAN_READ
from regista.server.registry.schemas.model_versions import (
    CreateModelVersion,
    SearchModelVersions,
    model_version_json,
)
from regista.server.registry.services import prompts
from regista.server.registry.services.model_sources import (
    prompt_source,
    remove_copies_after_commit,
    resolve_source,
)
from regista.server.registry.services.registry_rules import (
    MAX_REGISTRY_TAG_VAL_LENGTH,
    RESTING_STAGES,
    parse_version,
    validate_id_length,
    validate_model_name,
)
from regista.server.registry.stores import aliases as alias_store
from regista.server.registry.stores import model_versions as mv_store
from regista.server.registry.stores import registered_models as rm_store
from regista.server.registry.stores import registry_tags as tag_store
from regista.server.registry.stores.model_versions_filter import (
    model_versions_order_by,
    model_versions_where,
    readable_versions,
)
from regista.server.search.keyset import seek_paginate
from regista.server.search.page_cursor import Page
from regista.server.storage.repository import validate_client_path
from regista.server.storage.uris import REGISTRY_ROOT, is_registry_path, store_path, to_uri
from regista.server.tracking.services import logged_models as tracking_models
from regista.server.validation import REGISTRY_MAX_RESULTS, validate_max_results, validate_tag

MAX_RESULTS_LIMIT = 200_000
READY = "READY"


def version_views(
    ctx: Context,
    items: Sequence[tuple[str, Any]],
    aliases: dict[int, list[tuple[str, int]]] | None = None,
) -> list[dict[str, Any]]:
    """Wire dicts for (model name, version row) pairs; tags (and aliases unless given) in one query each."""
    if not items:
        return []
    keys = [(row.registered_model_id, row.version) for _, row in items]
    tags = tag_store.model_version_tags(ctx.conn, keys)
    if aliases is None:
        aliases = alias_store.aliases_of_models(ctx.conn, list({k[0] for k in keys}))
    out = []
    for name, row in items:
        names = [a for a, v in aliases.get(row.registered_model_id, ()) if v == row.version]
        out.append(model_version_json(row, name, tags.get((row.registered_model_id, row.version)), names))
    return out


def authorized_model(ctx: Context, name: str, level: str, *, for_update: bool = False) -> Any:
    """The model's row once the caller is known to hold `level` on it (404 when missing, 403 when below)."""
    rm = rm_store.get_registered_model(ctx.conn, name, for_update=for_update)
    authz.require_model_level(ctx, rm.id, level, name)
    return rm


def get_version_row(
    ctx: Context, name: str, version: str | int, *, for_update: bool = False, level: str | None = None
) -> tuple[Any, Any]:
    """(model row, version row); 404 for a missing model or version, 400 for a non-integer version.
    With `level`, 403 unless the caller holds it on the model (checked before the version is looked up,
    so a caller who may not read the model learns nothing about its versions)."""
    number = parse_version(version)
    rm = rm_store.get_registered_model(ctx.conn, name, for_update=for_update)
    if level is not None:
        authz.require_model_level(ctx, rm.id, level, name)
    row = mv_store.find_model_version(ctx.conn, rm.id, number)
    if row is None:
        raise mv_store.not_found(name, number)
    return rm, row


def _may_edit_logged_model(ctx: Context, model_id: str) -> bool:
    """Whether the caller may edit the logged model's experiment. The back-reference tag
    (mlflow.modelVersions) is written only then: registering needs read access to the source, not the
    right to change another team's logged model."""
    if ctx.principal.is_admin:
        return True
    logged = tracking_models.find_logged_model(ctx, model_id)
    if logged is None:
        return False
    level = authz.experiment_level(ctx, logged.experiment_id)
    return level is not None and authz.EXPERIMENT_LEVEL_RANK[level] >= authz.EXPERIMENT_LEVEL_RANK[authz.CAN_EDIT]


def create_model_version(ctx: Context, req: CreateModelVersion) -> dict[str, Any]:
    """Register a new version, numbered by the model's counter (dense and unique under concurrency),
    with the source's files copied into registry storage first; READY on return."""
    validate_model_name(req.name)
    validate_id_length(req.run_id, "run_id", 32)
    validate_id_length(req.model_id, "model_id", 64)
    tags = {t.key: t.value for t in req.tags}
    for key, value in tags.items():
        validate_tag(key, value, value_limit=MAX_REGISTRY_TAG_VAL_LENGTH, value_required=False)
    # Resolve the source in a short read transaction and copy its files before this request's write
    # transaction opens: on an object store the copy is network I/O, which must not hold the write lock.
    # The permission check happens there too, so a denied caller never causes a copy.
    checked_rm_id = None
    with ctx.separate_read() as reader:
        if not ctx.principal.is_admin:
            checked_rm_id = authorized_model(reader, req.name, CAN_EDIT).id
        if str(tags.get(prompts.IS_PROMPT_TAG) or "").lower() == "true":
            resolved = prompt_source(req.source, req.run_id or None, req.model_id or None)
        else:
            resolved = resolve_source(reader, req.source, req.run_id or None, req.model_id or None)
        if resolved.store_path is not None:
            # The copy makes the files downloadable by the new version's readers: the caller must be
            # allowed to read them where they are, by the owner of the path itself (their experiment, or
            # the registered model they were copied for), whatever run or model the request names.
            authorize_path(reader, resolved.store_path, write=False)
    storage = resolved.storage_location
    if resolved.copy_from is not None:
        copy_rel = f"{REGISTRY_ROOT}/{uuid.uuid4().hex}"
        # Registered before copying: whatever fails from here on (the copy half-way, a check, an insert,
        # the commit itself), the request removes its own copy when its transaction rolls back.
        ctx.on_rollback(partial(_discard_copy, ctx, copy_rel))
        ctx.artifacts.copy_tree(resolved.copy_from, copy_rel)
        storage = to_uri(copy_rel)
    now = now_ms()
    allocated = rm_store.allocate_version(ctx.conn, req.name, now)
    if allocated is None:
        raise rm_store.not_found(req.name)
    rm_id, version = allocated
    if checked_rm_id is not None and rm_id != checked_rm_id:
        # The name now belongs to another model (renamed in between): check that one instead.
        authz.require_model_level(ctx, rm_id, CAN_EDIT, req.name)
    values = {
        "registered_model_id": rm_id, "version": version, "creation_time": now,
        "last_updated_time": now, "description": req.description, "user_id": ctx.principal.name,
        "current_stage": "None", "source": resolved.source, "run_id": resolved.run_id,
        "run_link": req.run_link, "status": READY, "status_message": None,
        "storage_location": storage, "model_id": resolved.model_id,
    }
    row = mv_store.insert_model_version(ctx.conn, values)
    tag_store.insert_model_version_tags(ctx.conn, rm_id, version, tags)
    if resolved.model_id and resolved.logged_model_known and _may_edit_logged_model(ctx, resolved.model_id):
        mv_store.add_version_to_logged_model(ctx.conn, resolved.model_id, req.name, version)
    ctx.record(
        "model_version.created",
        {"name": req.name, "version": str(version), "source": resolved.source, "run_id": resolved.run_id,
         "model_id": resolved.model_id, "tags": tags, "description": req.description},
    )
    return version_views(ctx, [(req.name, row)], {})[0]


def _discard_copy(ctx: Context, copy_rel: str) -> None:
    # Whatever is left if this fails (the store unreachable) goes with the orphan sweep (registry_storage).
    ctx.artifacts.delete(copy_rel)


def get_model_version(ctx: Context, name: str, version: str) -> dict[str, Any]:
    _, row = get_version_row(ctx, name, version, level=CAN_READ)
    return version_views(ctx, [(name, row)])[0]


def update_model_version(ctx: Context, name: str, version: str, description: str | None) -> dict[str, Any]:
    rm, row = get_version_row(ctx, name, version, level=CAN_EDIT)
    row = mv_store.update_model_version(
        ctx.conn, rm.id, row.version, {"description": description, "last_updated_time": now_ms()}
    )
    ctx.record("model_version.updated", {"name": name, "version": str(row.version), "description": description})
    return version_views(ctx, [(name, row)])[0]


def delete_model_version(ctx: Context, name: str, version: str) -> None:
    """Delete a version in None or Archived, with its tags and aliases. Its number is never handed out
    again. Its registry copy goes once the deletion is committed."""
    rm, row = get_version_row(ctx, name, version, for_update=True, level=CAN_MANAGE)
    if row.current_stage not in RESTING_STAGES:
        raise InvalidParameter(
            f"Model Version (name={name}, version={row.version}) is in stage {row.current_stage}: only "
            "versions in None or Archived can be deleted."
        )
    removed_aliases = alias_store.delete_aliases_of_version(ctx.conn, rm.id, row.version)
    mv_store.delete_model_version(ctx.conn, rm.id, row.version)
    rm_store.touch_registered_model(ctx.conn, rm.id, now_ms())
    # Whether the model is a prompt, looked up once for all of its removed aliases.
    marked = prompts.event_data(ctx, rm.id, {"name": name}) if removed_aliases else {}
    for alias in removed_aliases:
        ctx.record("model_version_alias.deleted", {**marked, "alias": alias})
    ctx.record("model_version.deleted", {"name": name, "version": str(row.version)})
    remove_copies_after_commit(ctx, [row.storage_location])


def get_model_version_download_uri(ctx: Context, name: str, version: str) -> str:
    _, row = get_version_row(ctx, name, version, level=CAN_READ)
    return str(row.storage_location or row.source)


def set_model_version_tag(ctx: Context, name: str, version: str, key: str, value: str) -> None:
    validate_tag(key, value, value_limit=MAX_REGISTRY_TAG_VAL_LENGTH, value_required=False)
    rm, row = get_version_row(ctx, name, version, level=CAN_EDIT)
    tag_store.set_model_version_tag(ctx.conn, rm.id, row.version, key, value)
    ctx.record("model_version_tag.set", prompts.event_data(
        ctx, rm.id, {"name": name, "version": str(row.version), "key": key, "value": value}))


def delete_model_version_tag(ctx: Context, name: str, version: str, key: str) -> None:
    rm, row = get_version_row(ctx, name, version, level=CAN_EDIT)
    # Deleting a tag that is not there is a no-op, as on the official server.
    if tag_store.delete_model_version_tag(ctx.conn, rm.id, row.version, key):
        ctx.record("model_version_tag.deleted", prompts.event_data(
            ctx, rm.id, {"name": name, "version": str(row.version), "key": key}))


def search_model_versions(ctx: Context, req: SearchModelVersions) -> Page[dict[str, Any]]:
    """A page of the versions of models the caller may read (filtered inside the query)."""
    validate_max_results(req.max_results, MAX_RESULTS_LIMIT, REGISTRY_MAX_RESULTS)
    dialect = ctx.conn.dialect.name
    where = model_versions_where(req.filter, dialect)
    order_by = model_versions_order_by(req.order_by)
    grantees = authz.visibility_filter(ctx, authz.REGISTERED_MODELS)
    visible = None
    if grantees is not None:
        visible = readable_versions(dialect, authz.readable_levels(authz.REGISTERED_MODELS))
    page = seek_paginate(
        req.page_token,
        req.max_results,
        order_by,
        lambda offset, seek, limit: mv_store.search_model_versions(
            ctx.conn, where, order_by, offset, limit, visible, grantees, seek
        ),
    )
    return page.map(lambda rows: version_views(ctx, [(r.rm_name, r) for r in rows]))


def model_version_artifact_file(ctx: Context, name: str, version: str, path: str) -> str:
    """Repository-relative path of a file of a version's model (the web UI's model-versions/get-artifact):
    CAN_READ on the registered model, and read access to the files when they are not the registry's copy."""
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Artifact path must name a file.")
    uri = get_model_version_download_uri(ctx, name, version)
    root = store_path(uri)
    if root is None:
        raise InvalidParameter(f"The artifacts at '{uri}' are not stored by this server; read them there.")
    where = validate_client_path(f"{root}/{rel}")
    if not is_registry_path(root):
        # A version whose files were not copied (registered before the copy existed): whoever owns the
        # path where they lie decides too.
        authorize_path(ctx, where, write=False)
    return where


def model_version_files_root(ctx: Context, name: str, version: str) -> tuple[str, str | None]:
    """(download URI, store path of the version's files) for listing them (the web UI's version page):
    CAN_READ on the registered model, and read access to the files when they are not the registry's copy.
    The store path is None when the files are not stored by this server."""
    uri = get_model_version_download_uri(ctx, name, version)
    root = store_path(uri)
    if root is not None and not is_registry_path(root):
        authorize_path(ctx, root, write=False)
    return uri, root
