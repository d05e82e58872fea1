"""Databricks REST handlers: SCIM users, groups and service principals (/api/2.0/preview/scim/v2).

Reads are open to every authenticated caller; changes need an admin (see services/identities.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import JSON, ok
from regista.server.http.routing import TransactionalRoute
from regista.server.identity.schemas.scim import (
    GroupBody,
    ListQuery,
    PatchBody,
    ServicePrincipalBody,
    UserBody,
)
from regista.server.identity.services import identities as service
from regista.server.identity.services.identities import GROUP, SERVICE_PRINCIPAL, USER

router = APIRouter(route_class=TransactionalRoute)


def _created(view: dict[str, Any]) -> Response:
    return JSON(view, status_code=201)


# ---- users ----------------------------------------------------------------------------------------------


@router.get("/Me")
def get_current_user(ctx: ReadCtx) -> Response:
    return ok(service.me(ctx))


@router.post("/Users", status_code=201)
def create_user(ctx: WriteCtx, req: Annotated[UserBody, Depends(message(UserBody))]) -> Response:
    return _created(service.create_user(ctx, req))


@router.get("/Users")
def list_users(ctx: ReadCtx, req: Annotated[ListQuery, Depends(message(ListQuery))]) -> Response:
    return ok(service.list_identities(ctx, USER, req))


@router.get("/Users/{user_id}")
def get_user(ctx: ReadCtx, user_id: str) -> Response:
    return ok(service.get_identity(ctx, USER, user_id))


@router.put("/Users/{user_id}")
def update_user(ctx: WriteCtx, req: Annotated[UserBody, Depends(message(UserBody))], user_id: str) -> Response:
    return ok(service.replace_user(ctx, user_id, req))


@router.patch("/Users/{user_id}")
def patch_user(ctx: WriteCtx, req: Annotated[PatchBody, Depends(message(PatchBody))], user_id: str) -> Response:
    return ok(service.patch_identity(ctx, USER, user_id, req.operations))


@router.delete("/Users/{user_id}", status_code=204, response_class=Response)
def delete_user(ctx: WriteCtx, user_id: str) -> Response:
    service.delete_identity(ctx, USER, user_id)
    return Response(status_code=204)


# ---- groups ---------------------------------------------------------------------------------------------


@router.post("/Groups", status_code=201)
def create_group(ctx: WriteCtx, req: Annotated[GroupBody, Depends(message(GroupBody))]) -> Response:
    return _created(service.create_group(ctx, req))


@router.get("/Groups")
def list_groups(ctx: ReadCtx, req: Annotated[ListQuery, Depends(message(ListQuery))]) -> Response:
    return ok(service.list_identities(ctx, GROUP, req))


@router.get("/Groups/{group_id}")
def get_group(ctx: ReadCtx, group_id: str) -> Response:
    return ok(service.get_identity(ctx, GROUP, group_id))


@router.put("/Groups/{group_id}")
def update_group(ctx: WriteCtx, req: Annotated[GroupBody, Depends(message(GroupBody))], group_id: str) -> Response:
    return ok(service.replace_group(ctx, group_id, req))


@router.patch("/Groups/{group_id}")
def patch_group(ctx: WriteCtx, req: Annotated[PatchBody, Depends(message(PatchBody))], group_id: str) -> Response:
    return ok(service.patch_identity(ctx, GROUP, group_id, req.operations))


@router.delete("/Groups/{group_id}", status_code=204, response_class=Response)
def delete_group(ctx: WriteCtx, group_id: str) -> Response:
    service.delete_identity(ctx, GROUP, group_id)
    return Response(status_code=204)


# ---- service principals ---------------------------------------------------------------------------------


@router.post("/ServicePrincipals", status_code=201)
def create_service_principal(
    ctx: WriteCtx, req: Annotated[ServicePrincipalBody, Depends(message(ServicePrincipalBody))]
) -> Response:
    return _created(service.create_service_principal(ctx, req))


@router.get("/ServicePrincipals")
def list_service_principals(ctx: ReadCtx, req: Annotated[ListQuery, Depends(message(ListQuery))]) -> Response:
    return ok(service.list_identities(ctx, SERVICE_PRINCIPAL, req))


@router.get("/ServicePrincipals/{sp_id}")
def get_service_principal(ctx: ReadCtx, sp_id: str) -> Response:
    return ok(service.get_identity(ctx, SERVICE_PRINCIPAL, sp_id))


@router.put("/ServicePrincipals/{sp_id}")
def update_service_principal(
    ctx: WriteCtx, req: Annotated[ServicePrincipalBody, Depends(message(ServicePrincipalBody))], sp_id: str
) -> Response:
    return ok(service.replace_service_principal(ctx, sp_id, req))


@router.patch("/ServicePrincipals/{sp_id}")
def patch_service_principal(
    ctx: WriteCtx, req: Annotated[PatchBody, Depends(message(PatchBody))], sp_id: str
) -> Response:
    return ok(service.patch_identity(ctx, SERVICE_PRINCIPAL, sp_id, req.operations))


@router.delete("/ServicePrincipals/{sp_id}", status_code=204, response_class=Response)
def delete_service_principal(ctx: WriteCtx, sp_id: str) -> Response:
    service.delete_identity(ctx, SERVICE_PRINCIPAL, sp_id)
    return Response(status_code=204)
