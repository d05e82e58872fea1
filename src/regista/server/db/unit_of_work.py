"""One database transaction per request, opened lazily in the thread that first uses it."""

from __future__ import annotations

import threading

from sqlalchemy import Connection, Engine

from regista.server.db.engine import WRITE_OPTION


class UnitOfWork:
    """Opens a connection and begins on first use; `finish` commits or rolls back and releases it.

    Opening lazily matters for SQLite: a writer's BEGIN IMMEDIATE takes the database write lock, so it
    must happen in the same worker thread that then runs the handler. If the lock were taken in a
    separate dependency hop, every pooled thread could end up waiting for the lock while the holder
    waits for a free thread to run its handler.
    """

    __slots__ = ("_engine", "_write", "_conn", "_write_lock", "_locked")

    def __init__(self, engine: Engine, *, write: bool, write_lock: threading.Lock | None = None) -> None:
        self._engine = engine
        self._write = write
        self._conn: Connection | None = None
        # SQLite only: writers of this process queue on a Python lock (woken at once on release) instead of
        # polling SQLite's busy handler, which sleeps up to 100 ms between attempts.
        self._write_lock = write_lock if write else None
        self._locked = False

    @property
    def opened(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            if self._write_lock is not None and not self._locked:
                self._write_lock.acquire()
                self._locked = True
            conn = self._engine.connect()
            if self._write:
                # SQLite: BEGIN IMMEDIATE (see db/engine.py) so the write lock is taken before any read.
                conn.execution_options(**{WRITE_OPTION: True})
            conn.begin()
            self._conn = conn
        return self._conn

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
                self._write_lock.release()  # type: ignore[union-attr]

    def reader(self) -> UnitOfWork:
        """A separate read-only unit of work on the same database (its own connection and transaction)."""
        return UnitOfWork(self._engine, write=False)

    @property
    def holds_resources(self) -> bool:
        return self._conn is not None or self._locked
