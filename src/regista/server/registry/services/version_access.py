"""The version lookup shared by the governance endpoints (requests, comments, activities, the Databricks
version variants): model, version and the caller's level in a fixed order of checks."""

from __future__ import annotations

from typing import Any

from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.registry.services.registry_rules import parse_version, validate_model_name
from regista.server.registry.stores import model_versions as mv_store
from regista.server.registry.stores import registered_models as rm_store


def governed_version(ctx: Context, name: str, version: str, *, for_update: bool = False) -> tuple[Any, Any, str]:
    """(model row, version row, caller's level) for the governance endpoints: 404 for a missing model,
    403 below CAN_READ (checked before the version is looked up, so a caller who may not read the model
    learns nothing about its versions), then 404 for a missing version; 400 for an empty name or a non-integer version."""
    validate_model_name(name)
    number = parse_version(version)
    rm = rm_store.get_registered_model(ctx.conn, name, for_update=for_update)
    level = authz.require_model_level(ctx, rm.id, authz.CAN_READ, name)
    row = mv_store.find_model_version(ctx.conn, rm.id, number)
    if row is None:
        raise mv_store.not_found(name, number)
    return rm, row, level
