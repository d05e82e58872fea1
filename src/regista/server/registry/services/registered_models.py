"""Registered models: create, get, rename, update, delete, tags, search and latest versions.

Permissions (docs/governance.md, "Permissions on registered models"): creating needs CAN_CREATE_REGISTERED_MODEL or CAN_MANAGE on
the registry root, and the creator gets CAN_MANAGE on the new model; viewing needs CAN_READ; description
and tags need CAN_EDIT; rename and delete need CAN_MANAGE (deleting drops the model's grants). Search
returns only models the caller may read, filtered inside the query. Each check reuses the model row the
operation fetches anyway: one indexed ACL query for a non-admin, none for an admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.errors import AlreadyExists, InvalidParameter, PermissionDenied
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_MANAGE, CAN_READ
from regista.server.registry.schemas.registered_models import SearchRegisteredModels, registered_model_json
from regista.server.registry.services import prompts
from regista.server.registry.services.model_sources import remove_copies_after_commit
from regista.server.registry.services.model_versions import authorized_model, version_views
from regista.server.registry.services.registry_rules import (
    MAX_REGISTRY_TAG_VAL_LENGTH,
    RESTING_STAGES,
    canonical_stage,
    validate_model_name,
)
from regista.server.registry.stores import aliases as alias_store
from regista.server.registry.stores import model_versions as mv_store
from regista.server.registry.stores import registered_models as rm_store
from regista.server.registry.stores import registry_tags as tag_store
from regista.server.registry.stores.registered_models_filter import (
    readable_models,
    registered_models_order_by,
    registered_models_where,
)
from regista.server.search.keyset import seek_paginate
from regista.server.search.page_cursor import Page
from regista.server.validation import REGISTRY_MAX_RESULTS, validate_max_results, validate_tag

MAX_RESULTS_LIMIT = 1000


def find_registered_model_by_id(ctx: Context, model_id: int) -> Any | None:
    """The registered model's row or None, without a permission check: for other domains (the permissions
    API resolving the object a path names) that check levels themselves."""
    return rm_store.find_registered_model_by_id(ctx.conn, model_id)


def registered_model_views(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Wire dicts for a list of model rows in a fixed number of queries: latest versions (one per
    stage), their tags, the models' tags and aliases."""
    ids = [r.id for r in rows]
    names = {r.id: r.name for r in rows}
    latest = rm_store.latest_versions(ctx.conn, ids)
    aliases = alias_store.aliases_of_models(ctx.conn, ids)
    tags = tag_store.registered_model_tags(ctx.conn, ids)
    latest_views = version_views(ctx, [(names[v.registered_model_id], v) for v in latest], aliases)
    per_model: dict[int, list[dict[str, Any]]] = {}
    for row, view in sorted(zip(latest, latest_views, strict=False), key=lambda p: p[0].version):
        per_model.setdefault(row.registered_model_id, []).append(view)
    return [
        registered_model_json(r, per_model.get(r.id, ()), tags.get(r.id), aliases.get(r.id, ()))
        for r in rows
    ]


def create_registered_model(
    ctx: Context, name: str, tags: dict[str, str | None], description: str | None
) -> dict[str, Any]:
    """Create a model; a taken name is RESOURCE_ALREADY_EXISTS (the client relies on that code)."""
    validate_model_name(name)
    for key, value in tags.items():
        validate_tag(key, value, value_limit=MAX_REGISTRY_TAG_VAL_LENGTH, value_required=False)
    try:
        authz.require_create_registered_model(ctx)
    except PermissionDenied:
        # `log_model(registered_model_name=...)` and `register_model` first try to create the model and
        # go on to add a version when it already exists: a CAN_EDIT user without the right to create
        # models must get RESOURCE_ALREADY_EXISTS for an existing name, not a 403.
        if rm_store.find_registered_model(ctx.conn, name) is not None:
            raise AlreadyExists(f"Registered Model (name={name}) already exists.") from None
        raise
    now = now_ms()
    rm_id = rm_store.insert_registered_model(
        ctx.conn,
        {"name": name, "creation_time": now, "last_updated_time": now, "description": description,
         "user_id": ctx.principal.name, "next_version": 1},
    )
    if rm_id is None:
        raise AlreadyExists(f"Registered Model (name={name}) already exists.")
    tag_store.set_registered_model_tags(ctx.conn, rm_id, tags)
    authz.grant_creator(ctx, authz.REGISTERED_MODELS, rm_id)
    ctx.record("registered_model.created", {"name": name, "tags": tags, "description": description})
    return registered_model_views(ctx, [rm_store.get_registered_model(ctx.conn, name)])[0]


def get_registered_model(ctx: Context, name: str) -> dict[str, Any]:
    return registered_model_views(ctx, [authorized_model(ctx, name, CAN_READ)])[0]


def get_registered_model_databricks(ctx: Context, name: str) -> dict[str, Any]:
    """The Databricks variant of get: the model plus its numeric id (the permissions API's
    registered_model_id) and the caller's effective permission level on it."""
    rm = rm_store.get_registered_model(ctx.conn, name)
    level = authz.require_model_level(ctx, rm.id, CAN_READ, name)
    view = registered_model_views(ctx, [rm])[0]
    view.pop("aliases", None)
    return {"id": str(rm.id), **view, "permission_level": level}


def rename_registered_model(ctx: Context, name: str, new_name: str | None) -> dict[str, Any]:
    """Rename, allowed only when the model has no versions or all are in None or Archived."""
    if not new_name:
        raise InvalidParameter("Missing value for required parameter 'new_name'.")
    validate_model_name(new_name, "new_name")
    rm = authorized_model(ctx, name, CAN_MANAGE, for_update=True)
    busy = rm_store.version_stages(ctx.conn, rm.id) - RESTING_STAGES
    if busy:
        raise InvalidParameter(
            f"Registered model {name} cannot be renamed: it has versions in stage(s) "
            f"{', '.join(sorted(busy))}. Move them to None or Archived first."
        )
    if new_name != name:
        if rm_store.find_registered_model(ctx.conn, new_name) is not None:
            raise AlreadyExists(f"Registered Model (name={new_name}) already exists.")
        rm_store.update_registered_model(ctx.conn, rm.id, {"name": new_name, "last_updated_time": now_ms()})
        ctx.record("registered_model.renamed", {"name": name, "new_name": new_name})
    return registered_model_views(ctx, [rm_store.get_registered_model(ctx.conn, new_name)])[0]


def update_registered_model(ctx: Context, name: str, description: str | None) -> dict[str, Any]:
    rm = authorized_model(ctx, name, CAN_EDIT)
    rm_store.update_registered_model(ctx.conn, rm.id, {"description": description, "last_updated_time": now_ms()})
    ctx.record("registered_model.updated", {"name": name, "description": description})
    return registered_model_views(ctx, [rm_store.get_registered_model(ctx.conn, name)])[0]


def delete_registered_model(ctx: Context, name: str) -> None:
    """Delete the model with its versions, tags and aliases, allowed only when every version is in None
    or Archived. Its versions' registry copies go once the deletion is committed."""
    rm = authorized_model(ctx, name, CAN_MANAGE, for_update=True)
    busy = rm_store.version_stages(ctx.conn, rm.id) - RESTING_STAGES
    if busy:
        raise InvalidParameter(
            f"Registered model {name} cannot be deleted: it has versions in stage(s) "
            f"{', '.join(sorted(busy))}. Move them to None or Archived first."
        )
    locations = mv_store.storage_locations(ctx.conn, rm.id)
    rm_store.delete_registered_model(ctx.conn, rm.id)
    authz.forget_object(ctx, authz.REGISTERED_MODELS, rm.id)
    ctx.record("registered_model.deleted", {"name": name})
    remove_copies_after_commit(ctx, locations)


def set_registered_model_tag(ctx: Context, name: str, key: str, value: str) -> None:
    validate_tag(key, value, value_limit=MAX_REGISTRY_TAG_VAL_LENGTH, value_required=False)
    rm = authorized_model(ctx, name, CAN_EDIT)
    tag_store.set_registered_model_tags(ctx.conn, rm.id, {key: value})
    ctx.record("registered_model_tag.set", prompts.event_data(ctx, rm.id, {"name": name, "key": key, "value": value}))


def delete_registered_model_tag(ctx: Context, name: str, key: str) -> None:
    rm = authorized_model(ctx, name, CAN_EDIT)
    # Deleting a tag that is not there is a no-op, as on the official server.
    if tag_store.delete_registered_model_tag(ctx.conn, rm.id, key):
        ctx.record("registered_model_tag.deleted", prompts.event_data(ctx, rm.id, {"name": name, "key": key}))


def get_latest_versions(ctx: Context, name: str, stages: list[str]) -> list[dict[str, Any]]:
    """The highest version in each requested stage (every stage when none are given), by version."""
    wanted = [canonical_stage(s) for s in stages] if stages else None
    rm = authorized_model(ctx, name, CAN_READ)
    rows = sorted(rm_store.latest_versions(ctx.conn, [rm.id], wanted), key=lambda r: r.version)
    aliases = alias_store.aliases_of_models(ctx.conn, [rm.id])
    return version_views(ctx, [(name, r) for r in rows], aliases)


def search_registered_models(ctx: Context, req: SearchRegisteredModels) -> Page[dict[str, Any]]:
    """A page of the models the caller may read (filtered inside the query, so paging stays right)."""
    validate_max_results(req.max_results, MAX_RESULTS_LIMIT, REGISTRY_MAX_RESULTS)
    dialect = ctx.conn.dialect.name
    where = registered_models_where(req.filter, dialect)
    order_by = registered_models_order_by(req.order_by)
    grantees = authz.visibility_filter(ctx, authz.REGISTERED_MODELS)
    visible = None
    if grantees is not None:
        visible = readable_models(dialect, authz.readable_levels(authz.REGISTERED_MODELS))
    page = seek_paginate(
        req.page_token,
        req.max_results,
        order_by,
        lambda offset, seek, limit: rm_store.search_registered_models(
            ctx.conn, where, order_by, offset, limit, visible, grantees, seek
        ),
    )
    return page.map(lambda rows: registered_model_views(ctx, rows))


def list_registered_models(ctx: Context, max_results: int, page_token: str | None) -> Page[dict[str, Any]]:
    """The Databricks / MLflow 1.x registered-models/list: a search without filter."""
    return search_registered_models(ctx, SearchRegisteredModels(max_results=max_results, page_token=page_token))
