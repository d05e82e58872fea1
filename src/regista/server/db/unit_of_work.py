"""One database transaction per request, opened lazily in the thread that first uses it."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Connection, Engine

from regista.errors import TemporarilyUnavailable
from regista.server.db.engine import WRITE_OPTION

# Below this much of the wait already spent, a writer keeps the connection's full busy timeout (saves a
# PRAGMA per request; the overrun is at most this long).
_BUSY_SLACK_S = 0.05


class UnitOfWork:
    """Opens a connection and begins on first use; `finish` commits or rolls back and releases it.

    Opening lazily matters for SQLite: a writer's BEGIN IMMEDIATE takes the database write lock, so it
    must happen in the same worker thread that then runs the handler. If the lock were taken in a
    separate dependency hop, every pooled thread could end up waiting for the lock while the holder
    waits for a free thread to run its handler.

    A SQLite writer waits for the write lock at most `busy_timeout_s` in all, counted from the unit of
    work's creation (the request's arrival): first on this process's write lock, then, with what is left,
    in SQLite's busy handler. Past it the request is a retryable 503.
    """

    __slots__ = ("_engine", "_write", "_conn", "_write_lock", "_locked", "_timeout_s", "_deadline")

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool,
        write_lock: threading.Lock | None = None,
        busy_timeout_s: float = 30.0,
    ) -> None:
        self._engine = engine
        self._write = write
        self._conn: Connection | None = None
        # SQLite only: writers of this process queue on a Python lock (woken at once on release) instead of
        # polling SQLite's busy handler, which sleeps up to 100 ms between attempts.
        self._write_lock = write_lock if write else None
        self._locked = False
        self._timeout_s = busy_timeout_s
        self._deadline = time.monotonic() + busy_timeout_s

    @property
    def opened(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            if self._write_lock is not None and not self._locked:
                self._acquire_write_lock()
            conn: Connection | None = None
            try:
                conn = self._engine.connect()
                if self._write:
                    # SQLite: BEGIN IMMEDIATE (see db/engine.py) so the write lock is taken before any read.
                    conn.execution_options(**{WRITE_OPTION: True})
                    if self._write_lock is not None:
                        self._limit_busy_wait(conn)
                conn.begin()
            except BaseException:
                # A BEGIN IMMEDIATE that timed out: give back the connection and the process's write lock.
                if conn is not None:
                    conn.close()
                self.finish(commit=False)
                raise
            self._conn = conn
        return self._conn

    def _acquire_write_lock(self) -> None:
        assert self._write_lock is not None
        if not self._write_lock.acquire(timeout=max(0.0, self._deadline - time.monotonic())):
            raise TemporarilyUnavailable(
                f"The database is busy: the write waited {self._timeout_s:g} s for the lock; retry the request."
            )
        self._locked = True

    def _limit_busy_wait(self, conn: Connection) -> None:
        """Give SQLite's busy handler only what is left of this request's wait."""
        full_ms = int(self._timeout_s * 1000)
        left_s = self._deadline - time.monotonic()
        want_ms = full_ms if left_s >= self._timeout_s - _BUSY_SLACK_S else max(1, int(left_s * 1000))
        info = conn.connection.info
        if info.get("busy_timeout_ms", full_ms) != want_ms:
            # On the driver connection: through SQLAlchemy this statement would open the transaction.
            # driver_connection is None only once the connection is closed.
            conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={want_ms}")  # type: ignore[union-attr]
            info["busy_timeout_ms"] = want_ms

    def finish(self, commit: bool) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                try:
                    if commit:
                        conn.commit()
                    else:
                        conn.rollback()
                finally:
                    conn.close()
        finally:
            if self._locked:
                self._locked = False
                self._write_lock.release()  # type: ignore[union-attr]  # _locked: the lock was taken

    def reader(self) -> UnitOfWork:
        """A separate read-only unit of work on the same database (its own connection and transaction)."""
        return UnitOfWork(self._engine, write=False)

    def writer(self) -> UnitOfWork:
        """A separate writing unit of work on the same database: for records that must be kept whatever
        becomes of this one (an access denial is audited although its request rolls back)."""
        return UnitOfWork(self._engine, write=True)

    @property
    def holds_resources(self) -> bool:
        return self._conn is not None or self._locked
