"""E-mail notification settings handlers (`/email-notifications/registry/...`, the paths the Databricks
web UI calls); routes.py mounts them under the registry prefixes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.events.schemas.notifications import (
    GetSubscriptionStatus,
    SetSubscriptionStatus,
    SetUserLevelSubscriptionStatus,
)
from regista.server.events.services import notifications as service
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)
PREFIX = "/email-notifications/registry"


@router.post(PREFIX + "/set-subscription-status")
def set_subscription_status(
    ctx: WriteCtx, req: Annotated[SetSubscriptionStatus, Depends(message(SetSubscriptionStatus))]
) -> Response:
    return ok({"subscription_type": service.set_model_level(ctx, req.model_name, req.subscription_type)})


@router.get(PREFIX + "/get-subscription-status")
def get_subscription_status(
    ctx: ReadCtx, req: Annotated[GetSubscriptionStatus, Depends(message(GetSubscriptionStatus))]
) -> Response:
    return ok({"subscription_type": service.get_model_level(ctx, req.model_name)})


@router.post(PREFIX + "/set-user-level-subscription-status")
def set_user_level_subscription_status(
    ctx: WriteCtx, req: Annotated[SetUserLevelSubscriptionStatus, Depends(message(SetUserLevelSubscriptionStatus))]
) -> Response:
    return ok({"subscription_type": service.set_user_level(ctx, req.subscription_type)})


@router.get(PREFIX + "/get-user-level-subscription-status")
def get_user_level_subscription_status(ctx: ReadCtx) -> Response:
    return ok({"subscription_type": service.get_user_level(ctx)})
