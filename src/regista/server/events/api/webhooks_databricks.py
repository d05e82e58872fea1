"""Databricks registry-webhook handlers (`/registry-webhooks/...`, as databricks-sdk ModelRegistryAPI calls
them); routes.py mounts them under the registry prefixes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from regista.server.events.schemas.webhooks import (
    CreateRegistryWebhook,
    ListRegistryWebhooks,
    RegistryWebhookRef,
    TestRegistryWebhook,
    UpdateRegistryWebhook,
)
from regista.server.events.services import webhooks_databricks as service
from regista.server.events.services.sender import Call, send_once
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message, query_message
from regista.server.http.responses import ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction

router = APIRouter(route_class=TransactionalRoute)


@router.post("/registry-webhooks/create")
def create_registry_webhook(ctx: WriteCtx, req: Annotated[CreateRegistryWebhook, Depends(message(CreateRegistryWebhook))]) -> Response:
    return ok({"webhook": service.create_webhook(ctx, req)})


@router.get("/registry-webhooks/list")
def list_registry_webhooks(ctx: ReadCtx, req: Annotated[ListRegistryWebhooks, Depends(message(ListRegistryWebhooks))]) -> Response:
    return ok(service.list_webhooks(ctx, req.model_name, req.events, req.max_results, req.page_token))


@router.patch("/registry-webhooks/update")
def update_registry_webhook(ctx: WriteCtx, req: Annotated[UpdateRegistryWebhook, Depends(message(UpdateRegistryWebhook))]) -> Response:
    return ok({"webhook": service.update_webhook(ctx, req)})


@router.delete("/registry-webhooks/delete")
def delete_registry_webhook(ctx: WriteCtx, req: Annotated[RegistryWebhookRef, Depends(query_message(RegistryWebhookRef))]) -> Response:
    service.delete_webhook(ctx, req.id)
    return ok({})


async def _test(request: Request, call: Call) -> Response:
    settings = request.app.state.settings
    outcome = await send_once(call, settings.webhook_allow_private, settings.webhook_timeout_s)
    if outcome.status_code is None:
        return ok({"body": outcome.error or ""})
    # status_code/body is what the SDK parses; `status` is the documented example's spelling.
    return ok({"status_code": outcome.status_code, "body": outcome.body, "status": outcome.status_code})


@router.post("/registry-webhooks/test")
def test_registry_webhook(
    ctx: ReadCtx, req: Annotated[TestRegistryWebhook, Depends(message(TestRegistryWebhook))]
) -> OutsideTransaction:
    return outside_transaction(_test, service.prepare_test(ctx, req.id, req.event))
