"""The row a new delivery starts as (due now, no attempt yet)."""

from __future__ import annotations

import uuid
from typing import Any

from regista.server.events.stores.deliveries import PENDING


def new_delivery(
    channel: str, event: str, payload: str, now: int, give_up_at: int, *, webhook_id: str | None = None,
    recipient: str | None = None, outbox_event_id: int | None = None,
) -> dict[str, Any]:
    return {
        "delivery_uuid": str(uuid.uuid4()), "channel": channel, "webhook_id": webhook_id, "recipient": recipient,
        "outbox_event_id": outbox_event_id, "event": event, "payload": payload, "state": PENDING,
        "attempts": 0, "created_at": now, "next_attempt_at": now, "give_up_at": give_up_at,
    }
