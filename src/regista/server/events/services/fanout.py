"""Turn committed outbox events into deliveries: one per matching webhook and event, plus the e-mails the
notification rules call for; the events are marked dispatched in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.events.schemas.event_catalog import (
    REGISTRY_WIDE_ONLY,
    RELEVANT_OUTBOX_EVENTS,
    databricks_events,
    databricks_payload,
    mlflow_envelope,
    mlflow_events,
)
from regista.server.events.services import notification_plan
from regista.server.events.services.delivery_rows import new_delivery
from regista.server.events.stores import deliveries as delivery_store
from regista.server.events.stores import notifications as notification_store
from regista.server.events.stores import outbox_reader
from regista.server.events.stores import webhooks as webhook_store

RENAMED = "registered_model.renamed"


def webhook_deliveries(
    event: Any, data: dict[str, Any], hooks: Sequence[Any], now: int, give_up_at: int
) -> list[dict[str, Any]]:
    """A delivery per (active webhook, event of its API it subscribes to) for one outbox event."""
    out: list[dict[str, Any]] = []
    db_events = databricks_events(event.event_type, data)
    ml_events = mlflow_events(event.event_type, data)
    for hook in hooks:
        subscribed = set(orjson.loads(hook.events))
        if hook.dialect == "databricks":
            if hook.model_name is not None and hook.model_name != data.get("name"):
                continue
            for name in db_events:
                if name in subscribed and not (hook.model_name is not None and name in REGISTRY_WIDE_ONLY):
                    body = orjson.dumps(databricks_payload(name, hook.id, event.created_at, data)).decode()
                    out.append(new_delivery("webhook", name, body, now, give_up_at, webhook_id=hook.id,
                                            outbox_event_id=event.id))
        else:
            for name, ml_data in ml_events:
                if name in subscribed:
                    body = orjson.dumps(mlflow_envelope(name, event.created_at, ml_data)).decode()
                    out.append(new_delivery("webhook", name, body, now, give_up_at, webhook_id=hook.id,
                                            outbox_event_id=event.id))
    return out


def fan_out(ctx: Context, batch: int) -> int:
    """Dispatch up to `batch` outbox events; how many were taken (0: the outbox is drained)."""
    events = outbox_reader.claim_events(ctx.conn, batch)
    if not events:
        return 0
    now = now_ms()
    give_up_at = now + int(ctx.settings.webhook_retry_window_s * 1000)
    rows: list[dict[str, Any]] = []
    hooks: list[Any] | None = None
    for event in events:
        if event.event_type == RENAMED:
            # A model's webhooks and notification settings follow it to its new name, in outbox order, so
            # the events after the rename (same batch included) find them under the new name.
            data = orjson.loads(event.payload)
            webhook_store.rename_model(ctx.conn, data["name"], data["new_name"])
            notification_store.rename_model(ctx.conn, data["name"], data["new_name"])
            hooks = None
        elif event.event_type in RELEVANT_OUTBOX_EVENTS:
            if hooks is None:
                hooks = webhook_store.active_webhooks(ctx.conn)
            data = orjson.loads(event.payload)
            rows.extend(webhook_deliveries(event, data, hooks, now, give_up_at))
            rows.extend(notification_plan.emails_for(ctx, event, data, now, give_up_at))
    delivery_store.insert_deliveries(ctx.conn, rows)
    outbox_reader.mark_dispatched(ctx.conn, [e.id for e in events], now)
    return len(events)
