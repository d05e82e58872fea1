"""Admin (/admin, admins only): users, groups and service principals through the identity domain's
services: create, deactivate / activate, group membership (add, remove)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

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
# Each section lists this many identities a page (sorted by name), paged on its own: the section's 1-based
# SCIM startIndex travels in its own query parameter, so paging users leaves the groups' page where it was.
SECTION_SIZE = 50
STARTS = {USER: "users_start", GROUP: "groups_start", SERVICE_PRINCIPAL: "sps_start"}
MAX_START = 2**31 - 1
KINDS = {"user": USER, "group": GROUP, "service_principal": SERVICE_PRINCIPAL}
NOUNS = {USER: "User", GROUP: "Group", SERVICE_PRINCIPAL: "Service principal"}


# The search box matches these attributes of each kind (SCIM `co`: contains, ignoring case).
SEARCHED = {USER: ("userName", "displayName"), GROUP: ("displayName",),
            SERVICE_PRINCIPAL: ("applicationId", "displayName")}
# Each section is sorted by its table's first column.
SORTED_BY = {USER: "userName", GROUP: "displayName", SERVICE_PRINCIPAL: "displayName"}


def _listing(ctx: ReadCtx, kind: str, q: str, start: int) -> dict[str, Any]:
    text = q.replace('"', "").replace("\\", "").strip()
    condition = " or ".join(f'{a} co "{text}"' for a in SEARCHED[kind]) if text else None
    query = ListQuery(count=SECTION_SIZE, startIndex=start, sortBy=SORTED_BY[kind], filter=condition)
    return identities.list_identities(ctx, kind, query)


def _address(q: str, starts: dict[str, int]) -> str:
    """/admin with the search and every section's position that is not its first page."""
    params = {"q": q} if q else {}
    params.update({STARTS[kind]: str(start) for kind, start in starts.items() if start > 1})
    return f"{ADMIN}?{urlencode(params)}" if params else ADMIN


def _pager(q: str, starts: dict[str, int], kind: str, listing: dict[str, Any]) -> dict[str, Any]:
    """The section's first/previous/next addresses (None where there is none) and the shown range."""
    start, shown, total = starts[kind], listing["itemsPerPage"], listing["totalResults"]

    def at(position: int) -> str:
        return _address(q, {**starts, kind: position})

    return {
        "first": at(1) if start > 1 else None,
        "previous": at(max(start - SECTION_SIZE, 1)) if start > 1 else None,
        "next": at(start + SECTION_SIZE) if start - 1 + shown < total else None,
        "from": start if shown else 0, "to": start - 1 + shown, "total": total,
    }


def _back(form: FormData) -> str:
    return local_path(form.get("next"), ADMIN)


@router.get(ADMIN)
def admin_page(request: Request, ctx: ReadCtx, q: str = "") -> Response:
    identities.require_admin(ctx)
    starts = {kind: parse_int(request.query_params.get(param) or 1, param, 1, MAX_START)
              for kind, param in STARTS.items()}
    listings = {kind: _listing(ctx, kind, q, starts[kind]) for kind in STARTS}
    return render(
        request, "admin/identities.html", q=q, here=_address(q, starts),
        users=listings[USER], groups=listings[GROUP], service_principals=listings[SERVICE_PRINCIPAL],
        pagers={kind: _pager(q, starts, kind, listing) for kind, listing in listings.items()},
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
