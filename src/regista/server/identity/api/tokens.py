"""Databricks REST handlers: personal access tokens and token management (/api/2.0/token, /api/2.0/token-management)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.identity.schemas.tokens import CreateOboToken, CreateToken, DeleteToken, ListTokens
from regista.server.identity.services import tokens as service

router = APIRouter(route_class=TransactionalRoute)


@router.post("/token/create")
def create_token(ctx: WriteCtx, req: Annotated[CreateToken, Depends(message(CreateToken))]) -> Response:
    return ok(service.create_token(ctx, req.lifetime_seconds, req.comment))


@router.get("/token/list")
def list_tokens(ctx: ReadCtx) -> Response:
    return ok({"token_infos": service.list_tokens(ctx)})


@router.post("/token/delete")
def revoke_token(ctx: WriteCtx, req: Annotated[DeleteToken, Depends(message(DeleteToken))]) -> Response:
    service.delete_token(ctx, req.token_id)
    return ok()


@router.post("/token-management/on-behalf-of/tokens")
def create_obo_token(ctx: WriteCtx, req: Annotated[CreateOboToken, Depends(message(CreateOboToken))]) -> Response:
    return ok(service.create_obo_token(ctx, req.application_id, req.lifetime_seconds, req.comment))


@router.get("/token-management/tokens")
def list_all_tokens(ctx: ReadCtx, req: Annotated[ListTokens, Depends(message(ListTokens))]) -> Response:
    return ok({"token_infos": service.manage_list(ctx, req.created_by_id, req.created_by_username)})


@router.get("/token-management/tokens/{token_id}")
def get_token(ctx: ReadCtx, token_id: str) -> Response:
    return ok({"token_info": service.manage_get(ctx, token_id)})


@router.delete("/token-management/tokens/{token_id}")
def delete_token(ctx: WriteCtx, token_id: str) -> Response:
    service.manage_delete(ctx, token_id)
    return ok()
