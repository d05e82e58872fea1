"""MLflow webhook handlers (`/webhooks`, as the mlflow client's RestStore calls them); mounted under
/api/2.0/mlflow and /ajax-api/2.0/mlflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from regista.server.events.schemas.webhooks import CreateWebhook, ListWebhooks, TestWebhook, UpdateWebhook
from regista.server.events.services import webhooks_mlflow as service
from regista.server.events.services.sender import Call, send_once
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction

router = APIRouter(route_class=TransactionalRoute)


@router.post("/webhooks")
def create_webhook(ctx: WriteCtx, req: Annotated[CreateWebhook, Depends(message(CreateWebhook))]) -> Response:
    return ok({"webhook": service.create_webhook(ctx, req)})


@router.get("/webhooks")
def list_webhooks(ctx: ReadCtx, req: Annotated[ListWebhooks, Depends(message(ListWebhooks))]) -> Response:
    return ok(service.list_webhooks(ctx, req.max_results, req.page_token))


@router.get("/webhooks/{webhook_id}")
def get_webhook(ctx: ReadCtx, webhook_id: str) -> Response:
    return ok({"webhook": service.get_webhook(ctx, webhook_id)})


@router.patch("/webhooks/{webhook_id}")
def update_webhook(
    ctx: WriteCtx, req: Annotated[UpdateWebhook, Depends(message(UpdateWebhook))], webhook_id: str
) -> Response:
    return ok({"webhook": service.update_webhook(ctx, webhook_id, req)})


@router.delete("/webhooks/{webhook_id}")
def delete_webhook(ctx: WriteCtx, webhook_id: str) -> Response:
    service.delete_webhook(ctx, webhook_id)
    return ok({})


async def _test(request: Request, call: Call) -> Response:
    settings = request.app.state.settings
    outcome = await send_once(call, settings.webhook_allow_private, settings.webhook_timeout_s)
    # MLflow counts any answer below 400 as a success (mlflow/webhooks/delivery.py test_webhook).
    result: dict[str, object] = {"success": outcome.status_code is not None and outcome.status_code < 400}
    if outcome.status_code is not None:
        result["response_status"] = outcome.status_code
        result["response_body"] = outcome.body
    if outcome.status_code is None and outcome.error:
        result["error_message"] = f"Failed to test webhook: {outcome.error}"
    return ok({"result": result})


@router.post("/webhooks/{webhook_id}/test")
def test_webhook(
    ctx: ReadCtx, req: Annotated[TestWebhook, Depends(message(TestWebhook))], webhook_id: str
) -> OutsideTransaction:
    return outside_transaction(_test, service.prepare_test(ctx, webhook_id, req.event))
