"""Request messages and response shapes of the delivery log (regista's own admin API)."""

from __future__ import annotations

from typing import Any

from regista.schemas.base import Message
from regista.schemas.numbers import Int32


class ListDeliveries(Message):
    webhook_id: str | None = None
    state: str | None = None
    event: str | None = None
    channel: str | None = None
    max_results: Int32 | None = None
    page_token: str | None = None


class ReplayDeliveries(Message):
    """Either explicit ids, or filters (every delivery matching them, up to max_results)."""

    ids: list[Int32] | None = None
    webhook_id: str | None = None
    state: str | None = None
    event: str | None = None
    max_results: Int32 | None = None


def attempt_json(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"attempt": row.attempt, "started_at": row.started_at, "latency_ms": row.latency_ms}
    if row.status_code is not None:
        out["status_code"] = row.status_code
    if row.error:
        out["error"] = row.error
    return out


def delivery_json(row: Any, attempts: list[Any] | None = None, with_payload: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(row.id), "delivery_id": row.delivery_uuid, "channel": row.channel, "event": row.event,
        "state": row.state, "attempts": row.attempts, "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at, "give_up_at": row.give_up_at,
    }
    optional = {
        "webhook_id": row.webhook_id, "recipient": row.recipient, "outbox_event_id": row.outbox_event_id,
        "last_attempt_at": row.last_attempt_at, "last_status_code": row.last_status_code,
        "last_latency_ms": row.last_latency_ms, "last_error": row.last_error, "delivered_at": row.delivered_at,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if attempts is not None:
        out["attempt_log"] = [attempt_json(a) for a in attempts]
    if with_payload:
        out["payload"] = row.payload
    return out
