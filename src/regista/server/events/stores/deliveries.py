"""SQL for deliveries (webhook calls and e-mails) and their attempts: insert, claim, record, search, replay."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import Delivery, DeliveryAttempt

_D = Delivery.__table__
_A = DeliveryAttempt.__table__

PENDING = "PENDING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
STATES = (PENDING, SUCCEEDED, FAILED)


def not_found(delivery_id: int) -> NotFound:
    return NotFound(f"Delivery with ID {delivery_id} not found.")


def insert_deliveries(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(Delivery), list(rows))


def claim_due(conn: Connection, now: int, limit: int, lease_until: int) -> list[Row[Any]]:
    """Due pending deliveries, leased to this dispatcher until `lease_until` (their next_attempt_at moves
    there: if this process dies mid-attempt, the row is due again once the lease ends). PostgreSQL skips
    rows another dispatcher is claiming; SQLite serialises writers."""
    query = (
        select(_D).where(_D.c.state == PENDING, _D.c.next_attempt_at <= now)
        .order_by(_D.c.next_attempt_at, _D.c.id).limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(conn.execute(query).all())
    if rows:
        conn.execute(update(Delivery).where(_D.c.id.in_([r.id for r in rows])).values(next_attempt_at=lease_until))
    return rows


def has_due(conn: Connection, now: int) -> bool:
    query = select(_D.c.id).where(_D.c.state == PENDING, _D.c.next_attempt_at <= now).limit(1)
    return conn.execute(query).first() is not None


def record_attempt(conn: Connection, delivery_id: int, values: dict[str, Any], attempt: dict[str, Any]) -> None:
    """Store one attempt and the delivery's new state in one go."""
    conn.execute(update(Delivery).where(_D.c.id == delivery_id).values(**values))
    conn.execute(insert(DeliveryAttempt), {"delivery_id": delivery_id, **attempt})


def get_delivery(conn: Connection, delivery_id: int) -> Row[Any]:
    row = conn.execute(select(_D).where(_D.c.id == delivery_id)).first()
    if row is None:
        raise not_found(delivery_id)
    return row


def attempts_of(conn: Connection, delivery_ids: Sequence[int]) -> list[Row[Any]]:
    if not delivery_ids:
        return []
    query = select(_A).where(_A.c.delivery_id.in_(list(delivery_ids))).order_by(_A.c.delivery_id, _A.c.attempt)
    return list(conn.execute(query).all())


def search_deliveries(
    conn: Connection, *, webhook_id: str | None, state: str | None, event: str | None, channel: str | None,
    offset: int, limit: int,
) -> list[Row[Any]]:
    """Deliveries matching every filter given, newest first."""
    query = select(_D)
    if webhook_id is not None:
        query = query.where(_D.c.webhook_id == webhook_id)
    if state is not None:
        query = query.where(_D.c.state == state)
    if event is not None:
        query = query.where(_D.c.event == event)
    if channel is not None:
        query = query.where(_D.c.channel == channel)
    return list(conn.execute(query.order_by(_D.c.id.desc()).offset(offset).limit(limit)).all())


def requeue(conn: Connection, delivery_ids: Sequence[int], now: int, give_up_at: int) -> int:
    """Make deliveries due again now (replay), whatever their state; their attempt log is kept."""
    if not delivery_ids:
        return 0
    result = conn.execute(
        update(Delivery).where(_D.c.id.in_(list(delivery_ids)))
        .values(state=PENDING, next_attempt_at=now, give_up_at=give_up_at, delivered_at=None)
    )
    return int(result.rowcount)


def prune_finished(conn: Connection, cutoff: int, limit: int) -> int:
    """Delete up to `limit` finished deliveries (succeeded or given up) whose last activity is before
    `cutoff`, with their attempts, oldest first; how many went. Pending ones are never pruned."""
    last = func.coalesce(_D.c.delivered_at, _D.c.last_attempt_at, _D.c.created_at)
    ids = list(conn.execute(
        select(_D.c.id).where(_D.c.state != PENDING, _D.c.created_at < cutoff, last < cutoff)
        .order_by(_D.c.id).limit(limit)
    ).scalars())
    if ids:
        conn.execute(delete(DeliveryAttempt).where(_A.c.delivery_id.in_(ids)))
        conn.execute(delete(Delivery).where(_D.c.id.in_(ids)))
    return len(ids)
