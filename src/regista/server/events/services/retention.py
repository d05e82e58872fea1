"""Retention of the events domain's history: dispatched outbox events, finished deliveries (with their
attempts) and past days' e-mail counts older than settings.events_retention_s are deleted in bounded
batches, so the tables stay the size of the retention window. Pending deliveries are never pruned."""

from __future__ import annotations

from dataclasses import dataclass

from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.events.stores import deliveries, notifications, outbox_reader

# Rows per table per transaction: short write transactions, so requests never wait long for the lock.
PRUNE_BATCH = 2000
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class Pruned:
    events: int
    deliveries: int
    counts: int

    @property
    def full(self) -> bool:
        """Whether a batch was full (more may be left: prune again)."""
        return self.events >= PRUNE_BATCH or self.deliveries >= PRUNE_BATCH


def prune_batch(ctx: Context, retention_s: float) -> Pruned:
    """Delete one batch of what is older than the retention window (in the caller's transaction)."""
    now = now_ms()
    cutoff = now - int(retention_s * 1000)
    return Pruned(
        outbox_reader.prune_dispatched(ctx.conn, cutoff, PRUNE_BATCH),
        deliveries.prune_finished(ctx.conn, cutoff, PRUNE_BATCH),
        # E-mail counts: only today's matter for the daily cap; keep yesterday's for a day that just turned.
        notifications.prune_counts(ctx.conn, now // _DAY_MS - 1),
    )
