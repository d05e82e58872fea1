"""Delivery-log handlers for admins (regista's own API, under /api/2.0/regista): list, get, replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.events.schemas.deliveries import ListDeliveries, ReplayDeliveries
from regista.server.events.services import deliveries as service
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)


@router.get("/webhooks/deliveries")
def list_deliveries(ctx: ReadCtx, req: Annotated[ListDeliveries, Depends(message(ListDeliveries))]) -> Response:
    return ok(service.list_deliveries(
        ctx, webhook_id=req.webhook_id, state=req.state, event=req.event, channel=req.channel,
        max_results=req.max_results, page_token=req.page_token,
    ))


@router.get("/webhooks/deliveries/{delivery_id}")
def get_delivery(ctx: ReadCtx, delivery_id: str) -> Response:
    return ok({"delivery": service.get_delivery(ctx, delivery_id)})


@router.post("/webhooks/deliveries/replay")
def replay_deliveries(ctx: WriteCtx, req: Annotated[ReplayDeliveries, Depends(message(ReplayDeliveries))]) -> Response:
    return ok({"replayed": service.replay(
        ctx, ids=req.ids, webhook_id=req.webhook_id, state=req.state, event=req.event, max_results=req.max_results,
    )})
