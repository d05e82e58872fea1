"""SQL reading the outbox for the dispatcher: claim the next undispatched events, mark them dispatched,
prune old dispatched ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from regista.server.db.models import OutboxEvent

_T = OutboxEvent.__table__


def claim_events(conn: Connection, limit: int) -> list[Any]:
    """The oldest undispatched events, locked for this transaction. On PostgreSQL rows another dispatcher
    holds are skipped (FOR UPDATE SKIP LOCKED), so several server processes share the work without
    handling an event twice; SQLite writers are serialised by BEGIN IMMEDIATE."""
    query = (
        select(_T.c.id, _T.c.event_type, _T.c.principal, _T.c.payload, _T.c.created_at)
        .where(_T.c.delivered_at.is_(None)).order_by(_T.c.id).limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(conn.execute(query).all())


def mark_dispatched(conn: Connection, ids: Sequence[int], now: int) -> None:
    if ids:
        conn.execute(update(OutboxEvent).where(_T.c.id.in_(list(ids))).values(delivered_at=now))


def has_undispatched(conn: Connection) -> bool:
    """Whether any event waits (a read: the dispatcher takes the write lock only when there is work)."""
    return conn.execute(select(_T.c.id).where(_T.c.delivered_at.is_(None)).limit(1)).first() is not None


def prune_dispatched(conn: Connection, cutoff: int, limit: int) -> int:
    """Delete up to `limit` events dispatched before `cutoff`, oldest first; how many went."""
    ids = list(conn.execute(
        select(_T.c.id).where(_T.c.delivered_at.is_not(None), _T.c.delivered_at < cutoff)
        .order_by(_T.c.delivered_at, _T.c.id).limit(limit)
    ).scalars())
    if ids:
        conn.execute(delete(OutboxEvent).where(_T.c.id.in_(ids)))
    return len(ids)
