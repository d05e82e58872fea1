"""Admin (/admin, admins only): users, groups and service principals through the identity domain's
services: create, deactivate / activate, group membership (add, remove)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import InvalidParameter, NotFound
from regista.schemas.numbers import parse_int
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.identity.schemas.scim import (
    GroupBody,
    ListQuery,
    PatchOperation,
    ServicePrincipalBody,
    UserBody,
)
from regista.server.identity.services import identities
from regista.server.identity.services.identities import GROUP, SERVICE_PRINCIPAL, USER
from regista.server.ui.api.forms import Form, FormData
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import local_path, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ADMIN = "/admin"
# Each section lists this many identities (sorted by name); the total is shown beside it.
SECTION_SIZE = 200
KINDS = {"user": USER, "group": GROUP, "service_principal": SERVICE_PRINCIPAL}
NOUNS = {USER: "User", GROUP: "Group", SERVICE_PRINCIPAL: "Service principal"}


# The search box matches these attributes of each kind (SCIM `co`: contains, ignoring case).
SEARCHED = {USER: ("userName", "displayName"), GROUP: ("displayName",),
            SERVICE_PRINCIPAL: ("applicationId", "displayName")}


def _listing(ctx: ReadCtx, kind: str, q: str) -> dict[str, Any]:
    text = q.replace('"', "").replace("\\", "").strip()
    condition = " or ".join(f'{a} co "{text}"' for a in SEARCHED[kind]) if text else None
    query = ListQuery(count=SECTION_SIZE, sortBy=SEARCHED[kind][0], filter=condition)
    return identities.list_identities(ctx, kind, query)


def _back(form: FormData) -> str:
    return local_path(form.get("next"), ADMIN)


@router.get(ADMIN)
def admin_page(request: Request, ctx: ReadCtx, q: str = "") -> Response:
    identities.require_admin(ctx)
    return render(
        request, "admin/identities.html", q=q, here=f"{ADMIN}?q={quote(q)}" if q else ADMIN,
        users=_listing(ctx, USER, q), groups=_listing(ctx, GROUP, q),
        service_principals=_listing(ctx, SERVICE_PRINCIPAL, q),
    )


@router.post(ADMIN + "/users")
def create_user(request: Request, ctx: WriteCtx, form: Form) -> Response:
    name = form.required("user_name", "User name")
    identities.create_user(ctx, UserBody(userName=name, displayName=form.optional("display_name")))
    return redirect(_back(form), flash=f"User {name} created.")


@router.post(ADMIN + "/service-principals")
def create_service_principal(request: Request, ctx: WriteCtx, form: Form) -> Response:
    display = form.required("display_name", "Display name")
    view = identities.create_service_principal(ctx, ServicePrincipalBody(displayName=display))
    return redirect(_back(form), flash=f"Service principal {display} created (application id {view['applicationId']}).")


@router.post(ADMIN + "/groups")
def create_group(request: Request, ctx: WriteCtx, form: Form) -> Response:
    name = form.required("group_name", "Group name")
    identities.create_group(ctx, GroupBody(displayName=name))
    return redirect(_back(form), flash=f"Group {name} created.")


def _kind(value: str) -> str:
    if value not in KINDS:
        raise InvalidParameter("Choose a user, a group or a service principal.")
    return KINDS[value]


@router.post(ADMIN + "/{kind}/{identity_id}/active")
def set_active(request: Request, ctx: WriteCtx, form: Form, kind: str, identity_id: str) -> Response:
    active = form.get("active") == "true"
    view = identities.patch_identity(
        ctx, _kind(kind), identity_id, [PatchOperation(op="replace", path="active", value=active)]
    )
    name = view.get("userName") or view.get("displayName") or view.get("applicationId")
    return redirect(_back(form), flash=f"{name} {'activated' if active else 'deactivated'}.")


@router.post(ADMIN + "/groups/{group_id}/members")
def add_member(request: Request, ctx: WriteCtx, form: Form, group_id: str) -> Response:
    kind = _kind(form.get("member_kind"))
    name = form.required("member_name", "Member name")
    member = identities.find_identity(ctx, kind, name)
    if member is None:
        raise NotFound(f"{NOUNS[kind]} {name!r} does not exist.")
    view = identities.patch_identity(
        ctx, GROUP, group_id, [PatchOperation(op="add", path="members", value=[{"value": str(member.id)}])]
    )
    return redirect(_back(form), flash=f"{name} added to {view['displayName']}.")


@router.post(ADMIN + "/groups/{group_id}/members/remove")
def remove_member(request: Request, ctx: WriteCtx, form: Form, group_id: str) -> Response:
    member_id = str(parse_int(form.required("member_id", "Member"), "member_id", 1))
    view = identities.patch_identity(
        ctx, GROUP, group_id, [PatchOperation(op="remove", path=f'members[value eq "{member_id}"]')]
    )
    return redirect(_back(form), flash=f"{form.get('member_name') or member_id} removed from {view['displayName']}.")
