"""A SQLite writer's wait for the write lock is bounded by the busy timeout in all: the wait on the process's
write lock and the wait in SQLite's busy handler share one budget, and running out is a retryable 503."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from regista.errors import TemporarilyUnavailable
from regista.server.db.engine import build_engine
from regista.server.db.unit_of_work import UnitOfWork
from tests.fixtures.live_server import LiveServer, start_server
from tests.fixtures.wire import API, assert_error

TIMEOUT_S = 1.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path / 'uow.db'}", busy_timeout_s=TIMEOUT_S)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def busy_timeout_ms(uow: UnitOfWork) -> int:
    return int(uow.conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one())


class TestWriteLockWait:
    def test_writer_gives_up_on_the_process_lock_with_a_503(self, engine: Engine) -> None:
        lock = threading.Lock()
        holder = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=TIMEOUT_S)
        holder.conn.execute(text("INSERT INTO t VALUES (1)"))
        waiter = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=0.05)
        with pytest.raises(TemporarilyUnavailable):
            _ = waiter.conn
        assert not waiter.holds_resources
        holder.finish(commit=True)
        # The lock was never taken by the waiter, so the next writer gets it.
        after = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=TIMEOUT_S)
        after.conn.execute(text("INSERT INTO t VALUES (2)"))
        after.finish(commit=True)

    def test_time_spent_on_the_process_lock_shortens_the_sqlite_wait(self, engine: Engine) -> None:
        lock = threading.Lock()
        holder = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=TIMEOUT_S)
        _ = holder.conn
        waiter = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=TIMEOUT_S)
        release = threading.Timer(0.3, holder.finish, args=(True,))
        release.start()
        left_ms = busy_timeout_ms(waiter)  # blocks until the holder is done
        release.join()
        assert 0 < left_ms < TIMEOUT_S * 1000
        waiter.finish(commit=True)
        # The pooled connection gets the full timeout back for the next, uncontended writer.
        fresh = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=TIMEOUT_S)
        assert busy_timeout_ms(fresh) == TIMEOUT_S * 1000
        fresh.finish(commit=True)

    def test_sqlite_lock_held_by_another_process_is_a_503_that_releases_everything(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        other = sqlite3.connect(tmp_path / "uow.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        lock = threading.Lock()
        uow = UnitOfWork(engine, write=True, write_lock=lock, busy_timeout_s=0.1)
        try:
            with pytest.raises(Exception) as caught:
                _ = uow.conn
        finally:
            other.rollback()
        assert "locked" in str(caught.value)
        assert not uow.holds_resources and not lock.locked()


@pytest.fixture(scope="module")
def short_timeout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("short-timeout")
    server = start_server(
        "sqlite", f"sqlite:///{tmp / 'regista.db'}", tmp, env={"REGISTA_SQLITE_BUSY_TIMEOUT": str(TIMEOUT_S)}
    )
    yield server
    server.stop()


class TestConcurrentWritersOnALockedDatabase:
    def test_every_waiter_answers_503_and_writes_nothing(self, short_timeout_server: LiveServer) -> None:
        url = short_timeout_server.url
        prefix = f"waiter-{uuid.uuid4().hex[:8]}"
        other = sqlite3.connect(Path(short_timeout_server.data_dir) / "regista.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        responses: list[httpx.Response] = []
        elapsed: list[float] = []

        def write(i: int) -> None:
            started = time.monotonic()
            responses.append(httpx.post(f"{url}{API}/experiments/create", json={"name": f"{prefix}-{i}"},
                                        timeout=120))
            elapsed.append(time.monotonic() - started)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            other.rollback()
            other.close()
        for r in responses:
            assert_error(r, 503, "TEMPORARILY_UNAVAILABLE")
        print(f"max wait {max(elapsed):.3f} s with a {TIMEOUT_S} s timeout")
        names = httpx.post(f"{url}{API}/experiments/search", json={"max_results": 1000}).json()["experiments"]
        assert not [e for e in names if e["name"].startswith(prefix)]
        # Once the lock is free the same write succeeds.
        assert httpx.post(f"{url}{API}/experiments/create", json={"name": f"{prefix}-after"}).status_code == 200
