"""Object permissions as the Databricks permissions API shows and changes them: the access control list
of a registered model, of the registry-wide `root` object, of an experiment or of a serving endpoint; the
levels each accepts;
replacing (PUT) or updating (PATCH) the direct grants.

Rules:
- Reading or changing an object's access control list needs CAN_MANAGE on it (on a model that includes a
  CAN_MANAGE grant on root; on root itself, admins or a CAN_MANAGE grant there). Listing the levels an
  object accepts needs read access (any authenticated caller for root).
- A model's list shows its direct grants and, marked inherited from `/registered-models/root`, the model
  levels granted on root (CAN_CREATE_REGISTERED_MODEL is not a level of a model, so it is not shown there).
  The admins group always appears with CAN_MANAGE, as on Databricks, since admins manage everything.
- CAN_CREATE_REGISTERED_MODEL may be granted on root only; experiments take CAN_READ, CAN_EDIT, CAN_MANAGE;
  serving endpoints CAN_VIEW, CAN_QUERY, CAN_MANAGE (listing their levels needs CAN_VIEW).
- The whole request is validated (levels, grantees) before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regista.errors import InvalidParameter, NotFound, PermissionDenied
from regista.server.context import Context
from regista.server.identity.services import identities
from regista.server.identity.services.authentication import ADMINS_GROUP
from regista.server.permissions.schemas.permissions import AccessControlRequest
from regista.server.permissions.services import authz
from regista.server.permissions.stores import grants as grant_store
from regista.server.registry.services import registered_models
from regista.server.serving.services import endpoints as serving_endpoints
from regista.server.tracking.services import experiments

# The experiment every server starts with (id 0, "Default").
DEFAULT_EXPERIMENT_ID = "0"

MODEL_LEVEL_DESCRIPTIONS = {
    authz.CAN_READ: "Can view the details of the registered model and its model versions, and use the model "
    "versions.",
    authz.CAN_EDIT: "Can view and edit the details of a registered model and its model versions (except stage "
    "transitions), and add new model versions.",
    authz.CAN_MANAGE_STAGING_VERSIONS: "Can view and edit the details of a registered model and its model "
    "versions, add new model versions, and manage stage transitions between non-Production stages.",
    authz.CAN_MANAGE_PRODUCTION_VERSIONS: "Can view and edit the details of a registered model and its model "
    "versions, add new model versions, and manage stage transitions between any stages.",
    authz.CAN_MANAGE: "Can manage permissions on, view all details of, and perform all actions on the "
    "registered model and its model versions.",
}
ROOT_LEVEL_DESCRIPTIONS = {
    **MODEL_LEVEL_DESCRIPTIONS,
    authz.CAN_CREATE_REGISTERED_MODEL: "Can create registered models.",
}
EXPERIMENT_LEVEL_DESCRIPTIONS = {
    authz.CAN_READ: "Can view the experiment and its runs.",
    authz.CAN_EDIT: "Can view the experiment, log runs to it and edit it.",
    authz.CAN_MANAGE: "Can view, edit and delete the experiment, log runs to it and change its permissions.",
}

# Identity kind -> the access-control-list field that names such a grantee.
_NAME_FIELD = {
    identities.USER: "user_name",
    identities.GROUP: "group_name",
    identities.SERVICE_PRINCIPAL: "service_principal_name",
}
SERVING_ENDPOINT_LEVEL_DESCRIPTIONS = {
    authz.CAN_VIEW: "Can view the serving endpoint, its configuration and its metrics.",
    authz.CAN_QUERY: "Can view and query the serving endpoint.",
    authz.CAN_MANAGE: "Can view, query, update, delete the serving endpoint, read its logs and change its "
    "permissions.",
}
_KIND_LABEL = {identities.USER: "User", identities.GROUP: "Group", identities.SERVICE_PRINCIPAL: "Service principal"}
_WIRE_TYPE = {
    authz.REGISTERED_MODELS: "registered-model", authz.EXPERIMENTS: "experiment",
    authz.SERVING_ENDPOINTS: "serving-endpoint",
}
ROOT_PATH = f"/{authz.REGISTERED_MODELS}/{authz.ROOT}"


@dataclass(frozen=True)
class _Target:
    """A permission object: its type and id in access_control_entries, and a label for messages."""

    object_type: str
    object_id: str
    label: str

    @property
    def is_root(self) -> bool:
        return self.object_type == authz.REGISTERED_MODELS and self.object_id == authz.ROOT

    @property
    def path(self) -> str:
        return f"/{self.object_type}/{self.object_id}"

    @property
    def levels(self) -> dict[str, str]:
        if self.object_type == authz.EXPERIMENTS:
            return EXPERIMENT_LEVEL_DESCRIPTIONS
        if self.object_type == authz.SERVING_ENDPOINTS:
            return SERVING_ENDPOINT_LEVEL_DESCRIPTIONS
        return ROOT_LEVEL_DESCRIPTIONS if self.is_root else MODEL_LEVEL_DESCRIPTIONS


def _not_found(what: str, raw: str) -> NotFound:
    return NotFound(f"{what} '{raw}' does not exist.")


def _numeric_id(raw: str, what: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _not_found(what, raw) from None


def _resolve(ctx: Context, object_type: str, raw_id: str) -> _Target:
    """The object the path names; 404 when it does not exist."""
    if object_type == authz.REGISTERED_MODELS:
        if raw_id == authz.ROOT:
            return _Target(object_type, authz.ROOT, "registry")
        what = "Registered model"
        row = registered_models.find_registered_model_by_id(ctx, _numeric_id(raw_id, what))
        if row is None:
            raise _not_found(what, raw_id)
        return _Target(object_type, str(row.id), row.name)
    if object_type == authz.SERVING_ENDPOINTS:
        endpoint = serving_endpoints.find_endpoint_by_id(ctx, raw_id)
        if endpoint is None:
            raise _not_found("Serving endpoint", raw_id)
        return _Target(object_type, str(endpoint.id), endpoint.name)
    row = experiments.find_experiment(ctx, _numeric_id(raw_id, "Experiment"))
    if row is None:
        raise _not_found("Experiment", raw_id)
    return _Target(object_type, str(row.experiment_id), row.name)


def _require(ctx: Context, target: _Target, level: str) -> None:
    if target.is_root:
        if level == authz.CAN_READ:
            return  # every authenticated caller may see which levels the registry accepts
        if authz.CAN_MANAGE not in authz.root_levels(ctx):
            raise PermissionDenied(
                f"User '{ctx.principal.name}' does not have CAN_MANAGE permission on the registry "
                f"({ROOT_PATH})."
            )
    elif target.object_type == authz.REGISTERED_MODELS:
        authz.require_model_level(ctx, target.object_id, level, target.label)
    elif target.object_type == authz.SERVING_ENDPOINTS:
        # Reading which levels exist takes CAN_VIEW (the endpoint's lowest level).
        authz.require_serving_endpoint_level(
            ctx, target.object_id, authz.CAN_VIEW if level == authz.CAN_READ else level, target.label
        )
    else:
        authz.require_experiment_level(ctx, target.object_id, level, target.label)


def _describe(ctx: Context, target: _Target) -> dict[str, Any]:
    """The object's access control list: direct grants, plus root grants on a model (inherited)."""
    inherits_root = target.object_type == authz.REGISTERED_MODELS and not target.is_root
    object_ids = [target.object_id, authz.ROOT] if inherits_root else [target.object_id]
    entries: dict[int, dict[str, Any]] = {}
    for row in grant_store.grants_on(ctx.conn, target.object_type, object_ids):
        direct = row.object_id == target.object_id
        if not direct and row.permission_level not in MODEL_LEVEL_DESCRIPTIONS:
            continue  # root-only levels (CAN_CREATE_REGISTERED_MODEL) mean nothing on a model
        entry = entries.get(row.identity_id)
        if entry is None:
            entry = entries[row.identity_id] = {
                _NAME_FIELD[row.kind]: row.name,
                "display_name": row.display_name or row.name,
                "all_permissions": [],
            }
        permission: dict[str, Any] = {"permission_level": row.permission_level, "inherited": not direct}
        if not direct:
            permission["inherited_from_object"] = [ROOT_PATH]
        entry["all_permissions"].append(permission)
    acl_list = list(entries.values())
    for entry in acl_list:
        # Direct grants first, then inherited ones.
        entry["all_permissions"].sort(key=lambda p: p["inherited"])
    if not any(e.get("group_name") == ADMINS_GROUP for e in acl_list):
        admins: dict[str, Any] = {"permission_level": authz.CAN_MANAGE, "inherited": inherits_root}
        if inherits_root:
            admins["inherited_from_object"] = [ROOT_PATH]
        acl_list.append({"group_name": ADMINS_GROUP, "display_name": ADMINS_GROUP, "all_permissions": [admins]})
    return {
        "object_id": target.path,
        "object_type": _WIRE_TYPE[target.object_type],
        "access_control_list": acl_list,
    }


def _grantee(ctx: Context, request: AccessControlRequest) -> tuple[str, int]:
    """(kind, identity id) of the one grantee the entry names; 400 when it names none, several, or an
    identity that does not exist."""
    named = [
        (kind, value)
        for kind, value in (
            (identities.USER, request.user_name),
            (identities.GROUP, request.group_name),
            (identities.SERVICE_PRINCIPAL, request.service_principal_name),
        )
        if value
    ]
    if len(named) != 1:
        raise InvalidParameter(
            "Each access control entry must name exactly one of user_name, group_name or service_principal_name."
        )
    kind, name = named[0]
    row = identities.find_identity(ctx, kind, name)
    if row is None:
        raise InvalidParameter(f"{_KIND_LABEL[kind]} '{name}' does not exist.")
    return kind, int(row.id)


def _requested_grants(ctx: Context, target: _Target, requests: list[AccessControlRequest]) -> list[tuple[int, str]]:
    grants: list[tuple[int, str]] = []
    allowed = target.levels
    for request in requests:
        level = request.permission_level
        if not level:
            raise InvalidParameter("Each access control entry needs a permission_level.")
        if level not in allowed:
            if level == authz.CAN_CREATE_REGISTERED_MODEL and target.object_type == authz.REGISTERED_MODELS:
                raise InvalidParameter(
                    f"Permission level {level} can only be granted on the registry-wide object {ROOT_PATH}, "
                    f"not on {target.path}."
                )
            raise InvalidParameter(
                f"Permission level '{level}' is not valid for {target.path}. Valid levels: {', '.join(allowed)}."
            )
        _, identity_id = _grantee(ctx, request)
        grants.append((identity_id, level))
    return grants


def get_permissions(ctx: Context, object_type: str, object_id: str) -> dict[str, Any]:
    target = _resolve(ctx, object_type, object_id)
    _require(ctx, target, authz.CAN_MANAGE)
    return _describe(ctx, target)


def get_permission_levels(ctx: Context, object_type: str, object_id: str) -> dict[str, Any]:
    target = _resolve(ctx, object_type, object_id)
    _require(ctx, target, authz.CAN_READ)
    return {
        "permission_levels": [
            {"permission_level": level, "description": text} for level, text in target.levels.items()
        ]
    }


def set_permissions(
    ctx: Context, object_type: str, object_id: str, requests: list[AccessControlRequest], *, replace: bool
) -> dict[str, Any]:
    """PUT (`replace`): the request becomes the object's whole set of direct grants (none if empty).
    PATCH: the grantees it names get exactly the levels it gives them; other grants stay."""
    target = _resolve(ctx, object_type, object_id)
    _require(ctx, target, authz.CAN_MANAGE)
    grants = _requested_grants(ctx, target, requests)
    if replace:
        grant_store.revoke_object(ctx.conn, target.object_type, target.object_id)
    else:
        grant_store.revoke_identities(ctx.conn, target.object_type, target.object_id, sorted({i for i, _ in grants}))
    grant_store.grant_many(ctx.conn, target.object_type, target.object_id, grants)
    ctx.record(
        "permissions.replaced" if replace else "permissions.updated",
        {"object_type": target.object_type, "object_id": target.object_id,
         "grants": [{"identity_id": i, "permission_level": level} for i, level in grants]},
    )
    return _describe(ctx, target)


def grant_first_start_defaults(conn: Any, users_group_id: int, admins_group_id: int) -> None:
    """The grants of a new server (bootstrap, before any request): everyone may create registered models
    (Databricks' default for the root ACL), admins manage the whole registry, and the Default experiment
    is shared by all users."""
    grant_store.grant(conn, authz.REGISTERED_MODELS, authz.ROOT, users_group_id, "CAN_CREATE_REGISTERED_MODEL")
    grant_store.grant(conn, authz.REGISTERED_MODELS, authz.ROOT, admins_group_id, authz.CAN_MANAGE)
    grant_store.grant(conn, authz.EXPERIMENTS, DEFAULT_EXPERIMENT_ID, users_group_id, authz.CAN_EDIT)
