"""The Permissions dialog of any object (the registry root, a model, an experiment): the panel a page
embeds, and the two form posts that grant a level to an identity and remove an identity's grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import InvalidParameter, PermissionDenied
from regista.server.context import Context
from regista.server.http.deps import WriteCtx
from regista.server.permissions.schemas.permissions import AccessControlRequest
from regista.server.permissions.services import permissions
from regista.server.ui.api.forms import Form
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import local_path, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The grantee kinds the dialog offers, and the access-control-list field that names each.
KINDS = {"user": "user_name", "group": "group_name", "service_principal": "service_principal_name"}
KIND_LABELS = {"user": "User", "group": "Group", "service_principal": "Service principal"}


@dataclass(frozen=True)
class PermissionsPanel:
    """What the dialog shows: the object's grants (direct and inherited), the levels it accepts, where its
    forms post and where they return."""

    action: str
    back: str
    entries: list[dict[str, Any]]
    levels: list[dict[str, str]]
    kinds: dict[str, str]


def _entry(raw: dict[str, Any]) -> dict[str, Any]:
    kind = next(k for k, field in KINDS.items() if field in raw)
    return {
        "kind": kind, "kind_label": KIND_LABELS[kind], "name": raw[KINDS[kind]],
        "permissions": raw["all_permissions"],
        "direct": [p["permission_level"] for p in raw["all_permissions"] if not p["inherited"]],
    }


def permissions_panel(ctx: Context, object_type: str, object_id: str, back: str) -> PermissionsPanel | None:
    """The panel for an object, or None when the caller may not manage its permissions (CAN_MANAGE)."""
    try:
        acl = permissions.get_permissions(ctx, object_type, object_id)
    except PermissionDenied:
        return None
    levels = permissions.get_permission_levels(ctx, object_type, object_id)["permission_levels"]
    return PermissionsPanel(
        action=f"/permissions/{object_type}/{object_id}", back=back,
        entries=[_entry(e) for e in acl["access_control_list"]], levels=levels, kinds=KIND_LABELS,
    )


@router.post("/permissions/{object_type}/{object_id}")
def grant_permission(request: Request, ctx: WriteCtx, form: Form, object_type: str, object_id: str) -> Response:
    kind = form.get("kind")
    if kind not in KINDS:
        raise InvalidParameter("Choose a user, a group or a service principal.")
    name = form.required("principal", KIND_LABELS[kind] + " name")
    level = form.required("level", "Permission level")
    grant = AccessControlRequest(**{KINDS[kind]: name, "permission_level": level})
    permissions.set_permissions(ctx, object_type, object_id, [grant], replace=False)
    return redirect(local_path(form.get("next"), "/models"), flash=f"{name} now has {level}.")


@router.post("/permissions/{object_type}/{object_id}/remove")
def remove_permission(request: Request, ctx: WriteCtx, form: Form, object_type: str, object_id: str) -> Response:
    kind = form.get("kind")
    if kind not in KINDS:
        raise InvalidParameter("Choose a user, a group or a service principal.")
    name = form.required("principal", KIND_LABELS[kind] + " name")
    acl = permissions.get_permissions(ctx, object_type, object_id)["access_control_list"]
    keep = [
        AccessControlRequest(**{field: e[field], "permission_level": p["permission_level"]})
        for e in acl
        for field in [next(f for f in KINDS.values() if f in e)]
        for p in e["all_permissions"]
        if not p["inherited"] and not (field == KINDS[kind] and e[field] == name)
    ]
    permissions.set_permissions(ctx, object_type, object_id, keep, replace=True)
    return redirect(local_path(form.get("next"), "/models"), flash=f"Removed the permissions of {name}.")
