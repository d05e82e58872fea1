"""MLflow webhooks (MLflow 3.3+ API): create, get, list, update, delete and test; registry-wide, so
workspace admins only."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from regista.errors import InvalidParameter
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.events.schemas.event_catalog import (
    MLFLOW_EVENTS,
    MLFLOW_EXAMPLES,
    MLFLOW_STATUSES,
    mlflow_envelope,
)
from regista.server.events.schemas.webhooks import (
    CreateWebhook,
    UpdateWebhook,
    WebhookEventMessage,
    event_name,
    webhook_json,
)
from regista.server.events.services.sender import Call, build_call
from regista.server.events.services.webhook_rules import (
    check_choice,
    check_description,
    check_events,
    check_target,
)
from regista.server.events.stores import webhooks as store
from regista.server.permissions.services import authz
from regista.server.search.page_cursor import paginate

DIALECT = "mlflow"
DEFAULT_MAX_RESULTS = 100
# MLflow's rule (mlflow/utils/validation.py _WEBHOOK_NAME_REGEX).
_NAME = re.compile(r"^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise InvalidParameter(
            f"Webhook name {name!r} is invalid. It must start and end with a letter or digit, be less than 63 "
            "characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-)."
        )


def _events(events: list[WebhookEventMessage]) -> list[str]:
    return check_events([event_name(e) for e in events], MLFLOW_EVENTS)


def create_webhook(ctx: Context, req: CreateWebhook) -> dict[str, Any]:
    authz.require_admin(ctx, "manage webhooks")
    _check_name(req.name)
    check_target(ctx, req.url)
    events = _events(req.events)
    status = check_choice(req.status or "ACTIVE", MLFLOW_STATUSES, "status")
    check_description(req.description)
    now = now_ms()
    webhook_id = str(uuid.uuid4())
    store.insert_webhook(ctx.conn, {
        "id": webhook_id, "dialect": DIALECT, "name": req.name, "model_name": None,
        "events": orjson.dumps(events).decode(), "description": req.description or None, "status": status,
        "url": req.url, "secret": ctx.settings.secret_box.seal_optional(req.secret or None),
        "authorization": None, "enable_ssl_verification": True,
        "created_by": ctx.principal.name, "creation_timestamp": now, "last_updated_timestamp": now,
    })
    ctx.record("webhook.created", {"id": webhook_id, "api": DIALECT})
    return webhook_json(store.get_webhook(ctx.conn, webhook_id))


def _get(ctx: Context, webhook_id: str) -> Any:
    authz.require_admin(ctx, "manage webhooks")
    return store.get_webhook(ctx.conn, webhook_id, DIALECT)


def get_webhook(ctx: Context, webhook_id: str) -> dict[str, Any]:
    return webhook_json(_get(ctx, webhook_id))


def list_webhooks(ctx: Context, max_results: int | None, page_token: str | None) -> dict[str, Any]:
    authz.require_admin(ctx, "manage webhooks")
    limit = max_results or DEFAULT_MAX_RESULTS
    if not 1 <= limit <= 1000:
        raise InvalidParameter("max_results must be between 1 and 1000.")
    page = paginate(page_token, limit, lambda offset, n: store.list_webhooks(
        ctx.conn, DIALECT, model_names=None, offset=offset, limit=n))
    return page.map(lambda rows: [webhook_json(r) for r in rows]).body("webhooks")


def update_webhook(ctx: Context, webhook_id: str, req: UpdateWebhook) -> dict[str, Any]:
    row = _get(ctx, webhook_id)
    values: dict[str, Any] = {}
    if req.name:
        _check_name(req.name)
        values["name"] = req.name
    if req.url:
        check_target(ctx, req.url)
        values["url"] = req.url
    if req.events:
        values["events"] = orjson.dumps(_events(req.events)).decode()
    if req.description is not None:
        check_description(req.description)
        values["description"] = req.description or None
    if req.secret is not None:
        values["secret"] = ctx.settings.secret_box.seal_optional(req.secret or None)
    if req.status:
        values["status"] = check_choice(req.status, MLFLOW_STATUSES, "status")
    values["last_updated_timestamp"] = now_ms()
    store.update_webhook(ctx.conn, row.id, values)
    ctx.record("webhook.updated", {"id": row.id, "api": DIALECT})
    return webhook_json(store.get_webhook(ctx.conn, row.id))


def delete_webhook(ctx: Context, webhook_id: str) -> None:
    row = _get(ctx, webhook_id)
    store.delete_webhook(ctx.conn, row.id)
    ctx.record("webhook.deleted", {"id": row.id, "api": DIALECT})


def prepare_test(ctx: Context, webhook_id: str, event: WebhookEventMessage | None) -> Call:
    """The test call: an example payload of `event` (or the webhook's first event), whatever the status."""
    row = _get(ctx, webhook_id)
    chosen = check_choice(event_name(event), MLFLOW_EVENTS, "event") if event else orjson.loads(row.events)[0]
    body = orjson.dumps(mlflow_envelope(chosen, now_ms(), MLFLOW_EXAMPLES[chosen])).decode()
    return build_call(row, body, str(uuid.uuid4()), ctx.settings.base_url, ctx.settings.secret_box)
