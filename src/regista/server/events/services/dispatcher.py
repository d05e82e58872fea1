"""The dispatcher: a background task of the server process that fans committed outbox events out into
deliveries and performs them (webhook calls, e-mails) with retries, at least once.

Durability: fan-out and marking the events happen in one transaction; a delivery is claimed by moving its
next_attempt_at to the end of a lease, so a process killed mid-attempt leaves it due again when the lease
ends. Several processes on PostgreSQL share the work (FOR UPDATE SKIP LOCKED); on SQLite one process per
database dispatches (an exclusive lock file next to the database). Requests never wait on it: it runs on
its own task, and its database work on worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
import httpx
import orjson
from sqlalchemy import Engine

from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.db.unit_of_work import UnitOfWork
from regista.server.events.services.fanout import fan_out
from regista.server.events.services.mailer import send_email
from regista.server.events.services.outbound import guarded_client
from regista.server.events.services.retention import Pruned, prune_batch
from regista.server.events.services.sender import Outcome, build_call, send
from regista.server.events.stores import deliveries as store
from regista.server.events.stores import outbox_reader
from regista.server.events.stores import webhooks as webhook_store
from regista.server.principal import Principal
from regista.server.process_lock import LeaderLock
from regista.server.settings import Settings
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.events")

DISPATCHER = Principal(name="regista-dispatcher", is_admin=True)
FAN_OUT_BATCH = 500
MAX_IN_FLIGHT = 64
# Calls in flight to one receiver (scheme, host, port): a burst of events must not flood a receiver with
# parallel connections (many small servers refuse what overflows their listen backlog).
MAX_PER_RECEIVER = 8
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 600.0
RETRY_AFTER_MAX_S = 3600.0
# Beyond the call's own timeout, how long a claimed delivery stays leased (then it is due again).
LEASE_MARGIN_S = 5.0
# After a wake-up, gather the commits of this long into one round: the dispatcher's own writes (fan-out,
# claims, results) then take the write lock once for many events instead of once per request.
BATCH_WINDOW_S = 0.02


def backoff_s(attempts: int, retry_after_s: float | None) -> float:
    """Exponential backoff with jitter (1 s, 2 s, 4 s ... up to 10 min); a longer Retry-After wins."""
    delay = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, RETRY_AFTER_MAX_S))
    return float(delay)


def _attempt_values(row: Any, outcome: Outcome, started_at: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The delivery's new state after an attempt (delivered, due again after a backoff, or given up once
    the retry window is over or the failure is final), and the attempt's log entry."""
    now = now_ms()
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts, "last_attempt_at": started_at, "last_status_code": outcome.status_code,
        "last_latency_ms": outcome.latency_ms, "last_error": outcome.error,
    }
    if outcome.ok:
        values.update(state=store.SUCCEEDED, delivered_at=now)
    else:
        retry_at = now + int(backoff_s(attempts, outcome.retry_after_s) * 1000)
        if outcome.retryable and retry_at < row.give_up_at:
            values.update(state=store.PENDING, next_attempt_at=retry_at)
        else:
            values.update(state=store.FAILED)
    attempt = {"attempt": attempts, "started_at": started_at, "status_code": outcome.status_code,
               "latency_ms": outcome.latency_ms, "error": outcome.error}
    return values, attempt


class Dispatcher:
    def __init__(
        self, engine: Engine, settings: Settings, artifacts: ArtifactRepository, write_lock: threading.Lock | None
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._artifacts = artifacts
        self._write_lock = write_lock
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        # Attempts done but not yet written: recorded together, one transaction per round.
        self._results: list[tuple[Any, Outcome, int]] = []
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._per_receiver: dict[str, asyncio.Semaphore] = {}
        # Whether anything listens (an active webhook, or e-mail on): only then do commits wake the
        # dispatcher; otherwise events are just marked dispatched, in bulk, at the poll interval.
        self._listened = True
        self._lock_file: LeaderLock | None = None
        self._next_prune = 0.0

    # ---- lifecycle ----

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="regista-dispatcher")

    def notify(self) -> None:
        """A request of this process committed events: look at the outbox now rather than at the next poll
        (thread-safe; called after commit from the request's worker thread)."""
        if self._listened and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Stop claiming; give attempts under way a moment to finish (unfinished ones are retried later)."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=5)
            for task in self._in_flight:
                task.cancel()
        if self._results:
            await anyio.to_thread.run_sync(self._record, self._take_results())
        for client in self._clients.values():
            await client.aclose()
        if self._lock_file is not None:
            self._lock_file.release()

    # ---- the loop ----

    async def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                if self._may_dispatch():
                    busy = await self._tick()
                    await self._prune_if_due()
            except Exception:
                log.exception("The event dispatcher failed a round; retrying")
            if not busy:
                # Woken by a commit of this process, a finished attempt, stop(), or after the poll interval
                # (events written by other processes, retries coming due).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.events_poll_interval_s)
                self._wake.clear()
                await asyncio.sleep(BATCH_WINDOW_S)

    async def _tick(self) -> bool:
        """One round: write finished attempts, dispatch new events and claim due deliveries (one
        transaction), start the attempts. Whether there was anything to do."""
        results = self._take_results()
        events, due = await anyio.to_thread.run_sync(self._peek)
        room = MAX_IN_FLIGHT - len(self._in_flight)
        if not (results or events or (due and room > 0)):
            return False
        taken, claimed, hooks = await anyio.to_thread.run_sync(self._write_round, results, events, room if due else 0)
        for row in claimed:
            task = asyncio.get_running_loop().create_task(self._deliver(row, hooks.get(row.webhook_id)))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return taken > 0 or bool(claimed)

    async def _prune_if_due(self) -> None:
        """Delete history older than the retention window: at start, then every tenth of the window (at
        least every second, at most every 10 minutes), batch by batch with the lock released in between."""
        retention = self._settings.events_retention_s
        if retention <= 0 or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + max(1.0, min(600.0, retention / 10))
        while not self._stop.is_set():
            pruned = await anyio.to_thread.run_sync(self._prune_batch, retention)
            if not pruned.full:
                return
            await asyncio.sleep(BATCH_WINDOW_S)

    def _prune_batch(self, retention_s: float) -> Pruned:
        ctx = self._context()
        try:
            pruned = prune_batch(ctx, retention_s)
        except BaseException:
            ctx.finish(commit=False)
            raise
        ctx.finish(commit=True)
        return pruned

    def _take_results(self) -> list[tuple[Any, Outcome, int]]:
        results, self._results = self._results, []
        return results

    def _may_dispatch(self) -> bool:
        """SQLite: only the process holding the database's dispatcher lock file dispatches."""
        if self._engine.dialect.name != "sqlite" or self._lock_file is not None:
            return True
        path = self._engine.url.database
        if not path or path == ":memory:":
            return True
        lock = LeaderLock(f"{path}.dispatcher.lock")
        if not lock.try_acquire():
            return False
        self._lock_file = lock  # held for the process's life
        return True

    # ---- database work (worker threads) ----

    def _context(self) -> Context:
        uow = UnitOfWork(self._engine, write=True, write_lock=self._write_lock,
                         busy_timeout_s=self._settings.sqlite_busy_timeout_s)
        return Context(uow, DISPATCHER, self._artifacts, self._settings)

    def _peek(self) -> tuple[bool, bool]:
        """Whether there are events to dispatch / deliveries due: read-only, so an idle dispatcher never
        takes SQLite's write lock (nor this process's)."""
        with self._engine.connect() as conn:
            found = outbox_reader.has_undispatched(conn), store.has_due(conn, now_ms())
            conn.rollback()
        return found

    def _write_round(
        self, results: list[tuple[Any, Outcome, int]], events: bool, room: int
    ) -> tuple[int, list[Any], dict[str, Any]]:
        """In one transaction: record finished attempts, fan out new events, claim up to `room` due
        deliveries (with the webhooks they go to)."""
        ctx = self._context()
        try:
            for row, outcome, started_at in results:
                values, attempt = _attempt_values(row, outcome, started_at)
                store.record_attempt(ctx.conn, row.id, values, attempt)
            taken = fan_out(ctx, FAN_OUT_BATCH) if events else 0
            claimed: list[Any] = []
            if room > 0:
                now = now_ms()
                lease = now + int((self._settings.webhook_timeout_s + LEASE_MARGIN_S) * 1000)
                claimed = store.claim_due(ctx.conn, now, room, lease)
            ids = sorted({r.webhook_id for r in claimed if r.webhook_id is not None})
            hooks = {h.id: h for h in webhook_store.find_webhooks(ctx.conn, ids)}
            mail = bool(self._settings.smtp_url and self._settings.email_notifications)
            self._listened = mail or webhook_store.any_active(ctx.conn)
        except BaseException:
            ctx.finish(commit=False)
            raise
        ctx.finish(commit=True)
        return taken, claimed, hooks

    def _record(self, results: list[tuple[Any, Outcome, int]]) -> None:
        self._write_round(results, events=False, room=0)

    # ---- one attempt (event loop) ----

    async def _deliver(self, row: Any, hook: Any) -> None:
        started_at = now_ms()
        try:
            if row.channel == "email":
                outcome = await self._send_email(row)
            else:
                outcome = await self._call_webhook(row, hook)
        except Exception as err:
            # Recorded as a retryable failure; at worst the lease runs out and it is tried again.
            log.exception("Delivery %s failed unexpectedly", row.id)
            outcome = Outcome(None, "", 0, f"{type(err).__name__}: {err}", retryable=True)
        self._results.append((row, outcome, started_at))
        self._wake.set()

    async def _call_webhook(self, row: Any, hook: Any) -> Outcome:
        if hook is None:
            return Outcome(None, "", 0, "the webhook was deleted", retryable=False)
        if hook.status != "ACTIVE":
            return Outcome(None, "", 0, f"the webhook is {hook.status}", retryable=False)
        call = build_call(hook, row.payload, row.delivery_uuid, self._settings.base_url,
                          self._settings.secret_box)
        if call.verify not in self._clients:
            self._clients[call.verify] = guarded_client(
                call.verify, self._settings.webhook_allow_private, self._settings.webhook_timeout_s
            )
        receiver = urlsplit(call.url)._replace(path="", query="", fragment="").geturl()
        limit = self._per_receiver.setdefault(receiver, asyncio.Semaphore(MAX_PER_RECEIVER))
        async with limit:
            return await send(self._clients[call.verify], call)

    async def _send_email(self, row: Any) -> Outcome:
        settings = self._settings
        if not settings.smtp_url or not settings.email_notifications:
            return Outcome(None, "", 0, "e-mail notifications are off", retryable=False)
        mail = orjson.loads(row.payload)
        return await anyio.to_thread.run_sync(
            send_email, settings.smtp_url, settings.smtp_from, row.recipient, mail["subject"], mail["body"],
            settings.webhook_timeout_s,
        )
