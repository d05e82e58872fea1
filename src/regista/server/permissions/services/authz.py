"""Authorization: the caller's effective permission level on a registered model or experiment, checks that
raise PERMISSION_DENIED, the stage rule for CAN_MANAGE_STAGING_VERSIONS, and search visibility.

Effective level = the highest of the caller's direct grants, its groups' grants (nested groups included)
and the grants on the registry-wide `root` object; admins hold CAN_MANAGE everywhere. Creators get a
direct CAN_MANAGE grant when they create the object (grant_creator), so that rule is just a grant.
Admins never cost a query, so a server with authentication off pays nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.errors import PermissionDenied
from regista.server.context import Context
from regista.server.permissions.stores import grants as grant_store

REGISTERED_MODELS = "registered-models"
EXPERIMENTS = "experiments"
SERVING_ENDPOINTS = "serving-endpoints"
ROOT = grant_store.ROOT

CAN_READ = "CAN_READ"
CAN_EDIT = "CAN_EDIT"
CAN_MANAGE_STAGING_VERSIONS = "CAN_MANAGE_STAGING_VERSIONS"
CAN_MANAGE_PRODUCTION_VERSIONS = "CAN_MANAGE_PRODUCTION_VERSIONS"
CAN_MANAGE = "CAN_MANAGE"
CAN_CREATE_REGISTERED_MODEL = "CAN_CREATE_REGISTERED_MODEL"

# Ordered levels: a higher rank includes everything a lower one allows.
MODEL_LEVEL_RANK = {
    CAN_READ: 1,
    CAN_EDIT: 2,
    CAN_MANAGE_STAGING_VERSIONS: 3,
    CAN_MANAGE_PRODUCTION_VERSIONS: 4,
    CAN_MANAGE: 5,
}
EXPERIMENT_LEVEL_RANK = {CAN_READ: 1, CAN_EDIT: 2, CAN_MANAGE: 5}
CAN_VIEW = "CAN_VIEW"
CAN_QUERY = "CAN_QUERY"
SERVING_ENDPOINT_LEVEL_RANK = {CAN_VIEW: 1, CAN_QUERY: 2, CAN_MANAGE: 5}
# CAN_MANAGE_STAGING_VERSIONS may move versions only among these stages (both ends of the move).
STAGING_MANAGER_STAGES = frozenset({"None", "Archived", "Staging"})

_OBJECT_LABEL = {
    REGISTERED_MODELS: "registered model", EXPERIMENTS: "experiment", SERVING_ENDPOINTS: "serving endpoint",
}


def _highest(levels: Sequence[str], ranks: dict[str, int]) -> str | None:
    best = None
    for level in levels:
        if level in ranks and (best is None or ranks[level] > ranks[best]):
            best = level
    return best


def model_level(ctx: Context, registered_model_id: int | str) -> str | None:
    """The caller's effective level on a registered model (None: no permission)."""
    principal = ctx.principal
    if principal.is_admin:
        return CAN_MANAGE
    levels = grant_store.levels_on(ctx.conn, REGISTERED_MODELS, str(registered_model_id), principal.grantee_ids)
    return _highest(levels, MODEL_LEVEL_RANK)


def experiment_level(ctx: Context, experiment_id: int | str) -> str | None:
    """The caller's effective level on an experiment (None: no permission). Runs inherit it."""
    principal = ctx.principal
    if principal.is_admin:
        return CAN_MANAGE
    # Experiments have no registry-wide parent; "root" is simply never granted for them.
    levels = grant_store.levels_on(ctx.conn, EXPERIMENTS, str(experiment_id), principal.grantee_ids)
    return _highest(levels, EXPERIMENT_LEVEL_RANK)


def _deny(ctx: Context, object_type: str, label: str, required: str, held: str | None) -> PermissionDenied:
    what = _OBJECT_LABEL[object_type]
    has = f"has {held}" if held else "has no permission"
    return PermissionDenied(
        f"User '{ctx.principal.name}' does not have {required} permission on {what} '{label}' ({has})."
    )


def require_model_level(ctx: Context, registered_model_id: int | str, required: str, label: str) -> str:
    """The caller's level on the model, raising PERMISSION_DENIED when it is below `required`."""
    held = model_level(ctx, registered_model_id)
    if held is None or MODEL_LEVEL_RANK[held] < MODEL_LEVEL_RANK[required]:
        raise _deny(ctx, REGISTERED_MODELS, label, required, held)
    return held


def require_experiment_level(ctx: Context, experiment_id: int | str, required: str, label: str) -> str:
    """The caller's level on the experiment, raising PERMISSION_DENIED when it is below `required`."""
    held = experiment_level(ctx, experiment_id)
    if held is None or EXPERIMENT_LEVEL_RANK[held] < EXPERIMENT_LEVEL_RANK[required]:
        raise _deny(ctx, EXPERIMENTS, label, required, held)
    return held


def serving_endpoint_level(ctx: Context, endpoint_id: str) -> str | None:
    """The caller's effective level on a serving endpoint (None: no permission)."""
    principal = ctx.principal
    if principal.is_admin:
        return CAN_MANAGE
    levels = grant_store.levels_on(ctx.conn, SERVING_ENDPOINTS, endpoint_id, principal.grantee_ids)
    return _highest(levels, SERVING_ENDPOINT_LEVEL_RANK)


def require_serving_endpoint_level(ctx: Context, endpoint_id: str, required: str, label: str) -> str:
    """The caller's level on the serving endpoint, raising PERMISSION_DENIED when it is below `required`."""
    held = serving_endpoint_level(ctx, endpoint_id)
    if held is None or SERVING_ENDPOINT_LEVEL_RANK[held] < SERVING_ENDPOINT_LEVEL_RANK[required]:
        raise _deny(ctx, SERVING_ENDPOINTS, label, required, held)
    return held


def root_levels(ctx: Context) -> list[str]:
    """The levels the caller holds on the registry-wide root object (directly or through groups)."""
    principal = ctx.principal
    if principal.is_admin:
        return [CAN_MANAGE, CAN_CREATE_REGISTERED_MODEL]
    return grant_store.levels_on(ctx.conn, REGISTERED_MODELS, ROOT, principal.grantee_ids)


def require_admin(ctx: Context, action: str) -> None:
    """Workspace-admin-only operations (identities, other people's tokens)."""
    if not ctx.principal.is_admin:
        raise PermissionDenied(f"Only workspace admins may {action}; {ctx.principal.name} is not one.")


def require_create_registered_model(ctx: Context) -> None:
    """Creating a registered model needs CAN_CREATE_REGISTERED_MODEL (or CAN_MANAGE) on the root object."""
    levels = root_levels(ctx)
    if CAN_CREATE_REGISTERED_MODEL not in levels and CAN_MANAGE not in levels:
        raise PermissionDenied(
            f"User '{ctx.principal.name}' does not have CAN_CREATE_REGISTERED_MODEL permission on the registry."
        )


def may_move_versions(level: str | None, from_stage: str, to_stage: str) -> bool:
    """Whether `level` may transition a version (or approve/reject a request) from one stage to another."""
    if level is None:
        return False
    rank = MODEL_LEVEL_RANK[level]
    if rank >= MODEL_LEVEL_RANK[CAN_MANAGE_PRODUCTION_VERSIONS]:
        return True
    if rank == MODEL_LEVEL_RANK[CAN_MANAGE_STAGING_VERSIONS]:
        return from_stage in STAGING_MANAGER_STAGES and to_stage in STAGING_MANAGER_STAGES
    return False


def visibility_filter(ctx: Context, object_type: str) -> Any | None:
    """None when the caller may read every object of the type (admin, or a read grant on root);
    otherwise the grantee-id bind value for grant_store.readable_condition in the search query."""
    principal = ctx.principal
    if principal.is_admin:
        return None
    if object_type == REGISTERED_MODELS and _highest(root_levels(ctx), MODEL_LEVEL_RANK) is not None:
        return None
    return grant_store.grantees_value(ctx.conn.dialect.name, principal.grantee_ids)


def readable_levels(object_type: str) -> tuple[str, ...]:
    """Levels that include read access on objects of the type (for grant_store.readable_condition)."""
    return tuple(MODEL_LEVEL_RANK if object_type == REGISTERED_MODELS else EXPERIMENT_LEVEL_RANK)


def grant_creator(ctx: Context, object_type: str, object_id: int | str) -> None:
    """The creator of a model or experiment gets CAN_MANAGE on it (a direct grant, shown in its ACL)."""
    identity_id = ctx.principal.identity_id
    # With authentication off every caller is the admin, who manages everything anyway: no grant needed.
    if identity_id is not None and ctx.authenticator is not None:
        grant_store.grant(ctx.conn, object_type, str(object_id), identity_id, CAN_MANAGE)


def forget_object(ctx: Context, object_type: str, object_id: int | str) -> None:
    """Drop the grants of a deleted object (ids are never reused, but the rows would be dead weight)."""
    grant_store.revoke_object(ctx.conn, object_type, str(object_id))
