"""Record a domain event in the outbox, inside the caller's transaction."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from sqlalchemy import Connection, insert

from regista.server.clock import now_ms
from regista.server.db.models import OutboxEvent
from regista.server.principal import Principal


@cache
def _insert_event() -> Any:
    # Built once: constructing a Core statement costs more than executing it (every write records an event).
    return insert(OutboxEvent)


def record_event(conn: Connection, principal: Principal, event_type: str, payload: dict[str, Any]) -> None:
    """Append an event row; it commits or rolls back with the change that caused it."""
    conn.execute(
        _insert_event(),
        {
            "event_type": event_type,
            "principal": principal.name,
            "payload": orjson.dumps(payload).decode(),
            "created_at": now_ms(),
        },
    )
