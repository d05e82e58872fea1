"""Registered-model aliases: named, movable pointers to one version (`models:/name@alias`).

Permissions: looking a version up by alias needs CAN_READ on the model; setting or deleting an alias needs
CAN_EDIT. Databricks' table has no row for aliases (they belong to Unity Catalog there); moving an alias
is an edit of the model's metadata like a tag, and unlike a stage it carries no approval workflow, so
CAN_EDIT is the level that matches.
"""

from __future__ import annotations

import re
from typing import Any

from regista.errors import InvalidParameter
from regista.server.context import Context
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.registry.services import prompts
from regista.server.registry.services.model_versions import authorized_model, get_version_row, version_views
from regista.server.registry.stores import aliases as alias_store
from regista.server.registry.stores import model_versions as mv_store

_ALIAS_RE = re.compile(r"^[\w\-]*$")
_RESERVED_VERSION_RE = re.compile(r"^[vV]\d+$")


def validate_alias(alias: str) -> None:
    """Word characters and '-', at most 255; `latest` and `v<digits>` are reserved (they would be
    ambiguous in `models:/` URIs)."""
    if not alias or not _ALIAS_RE.match(alias) or len(alias) > 255:
        raise InvalidParameter(
            f"Invalid alias name: '{alias}'. Aliases may only contain alphanumerics, underscores and "
            "dashes, and must be at most 255 characters long."
        )
    if alias.lower() == "latest" or _RESERVED_VERSION_RE.match(alias):
        raise InvalidParameter(
            f"Invalid alias name: '{alias}'. Alias names 'latest' and 'v<number>' are reserved."
        )


def set_registered_model_alias(ctx: Context, name: str, alias: str, version: str) -> None:
    """Point `alias` at the version (moving it if it pointed elsewhere)."""
    validate_alias(alias)
    rm, row = get_version_row(ctx, name, version, level=CAN_EDIT)
    previous = alias_store.find_alias_version(ctx.conn, rm.id, alias)
    if previous == row.version:
        return
    alias_store.set_alias(ctx.conn, rm.id, alias, row.version)
    ctx.record(
        "model_version_alias.created",
        prompts.event_data(ctx, rm.id, {"name": name, "alias": alias, "version": str(row.version),
                                        "previous_version": None if previous is None else str(previous)}),
    )


def delete_registered_model_alias(ctx: Context, name: str, alias: str) -> None:
    validate_alias(alias)
    rm = authorized_model(ctx, name, CAN_EDIT)
    if alias_store.delete_alias(ctx.conn, rm.id, alias):
        ctx.record("model_version_alias.deleted", prompts.event_data(ctx, rm.id, {"name": name, "alias": alias}))


def get_model_version_by_alias(ctx: Context, name: str, alias: str) -> dict[str, Any]:
    """The version the alias points at; an unknown alias is a 400 (not a 404), as on the official server."""
    rm = authorized_model(ctx, name, CAN_READ)
    version = alias_store.find_alias_version(ctx.conn, rm.id, alias)
    if version is None:
        raise alias_store.not_found(alias)
    row = mv_store.find_model_version(ctx.conn, rm.id, version)
    if row is None:
        raise mv_store.not_found(name, version)
    return version_views(ctx, [(name, row)])[0]

