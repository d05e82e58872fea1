"""Errors become MLflow envelopes without costing the client its keep-alive connection, and database
errors are told apart: retryable (503), caused by the request (400) or the server's own (500)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from regista.server.http.error_handlers import _operational_kind
from tests.fixtures.databases import PG_ADMIN_DSN
from tests.fixtures.live_server import LiveServer, start_server
from tests.fixtures.wire import API, assert_error


def local_address(r: httpx.Response) -> tuple[str, int]:
    """The client side of the TCP connection that carried `r` (the same for a reused connection)."""
    return r.extensions["network_stream"].get_extra_info("client_addr")


@pytest.fixture(scope="module")
def corruptible_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A SQLite server of its own, whose database a test may damage behind the server's back."""
    tmp = tmp_path_factory.mktemp("corruptible")
    server = start_server("sqlite", f"sqlite:///{tmp / 'regista.db'}", tmp)
    yield server
    server.stop()


class TestUnexpectedError:
    def test_500_envelope_and_the_connection_stays_usable(self, corruptible_server: LiveServer) -> None:
        with httpx.Client(base_url=corruptible_server.url, timeout=30) as client:
            eid = client.post(f"{API}/experiments/create", json={"name": "to-corrupt"}).json()["experiment_id"]
            # A row no handler expects (a blob where a name belongs) makes the response fail to render.
            db = sqlite3.connect(Path(corruptible_server.data_dir) / "regista.db")
            db.execute("UPDATE experiments SET name = X'00ff' WHERE experiment_id = ?", (int(eid),))
            db.commit()
            db.close()
            first = client.get(f"{API}/experiments/get", params={"experiment_id": eid})
            assert_error(first, 500, "INTERNAL_ERROR")
            second = client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
            assert second.status_code == 200
            assert local_address(second) == local_address(first)


class TestBadRequestsKeepTheConnection:
    @pytest.mark.parametrize(("method", "path", "payload"), [
        ("GET", "/model-versions/get", {"name": "m", "version": "99999999999999999999"}),
        ("GET", "/experiments/get", {"experiment_id": "٣"}),
        ("POST", "/runs/search", {"experiment_ids": ["0"], "filter": "(" * 5000 + "metrics.m > 1" + ")" * 5000}),
        ("POST", "/experiments/create", {"name": "a\x00b"}),
        ("POST", "/experiments/create", {"name": 123}),
    ])
    def test_next_request_reuses_the_connection(
        self, server_url: str, method: str, path: str, payload: dict
    ) -> None:
        with httpx.Client(base_url=server_url, timeout=30) as client:
            if method == "GET":
                bad = client.get(f"{API}{path}", params=payload)
            else:
                bad = client.post(f"{API}{path}", json=payload)
            assert_error(bad, 400, "INVALID_PARAMETER_VALUE")
            good = client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
            assert good.status_code == 200
            assert local_address(good) == local_address(bad)


def _sqlite_error(engine, sql: str) -> OperationalError:
    with engine.connect() as conn, pytest.raises(OperationalError) as caught:
        conn.execute(text(sql))
    return caught.value


class TestOperationalErrorKinds:
    def test_sqlite_expression_too_deep_is_the_requests_fault(self, tmp_path: Path) -> None:
        engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
        err = _sqlite_error(engine, "SELECT " + " OR ".join(["1 = 1"] * 3000))
        assert "Expression tree is too large" in str(err.orig)
        assert _operational_kind(err) == "input"

    def test_sqlite_lock_timeout_is_retryable(self, tmp_path: Path) -> None:
        path = tmp_path / "x.db"
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        try:
            engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.01})
            err = _sqlite_error(engine, "INSERT INTO t VALUES (1)")
        finally:
            holder.rollback()
        assert _operational_kind(err) == "busy"

    def test_sqlite_missing_table_is_the_servers_fault(self, tmp_path: Path) -> None:
        engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
        assert _operational_kind(_sqlite_error(engine, "SELECT * FROM nowhere")) == "internal"

    def test_postgresql_stack_depth_is_the_requests_fault(self) -> None:
        engine = create_engine(PG_ADMIN_DSN.replace("postgresql://", "postgresql+psycopg://", 1))
        err = _sqlite_error(engine, "SELECT " + " + ".join(["1"] * 100000))
        assert err.orig.sqlstate == "54001"
        assert _operational_kind(err) == "input"
        engine.dispose()

    def test_postgresql_lock_timeout_is_retryable(self) -> None:
        engine = create_engine(PG_ADMIN_DSN.replace("postgresql://", "postgresql+psycopg://", 1))
        table = f"lock_probe_{uuid.uuid4().hex[:10]}"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {table} (x int)"))
        try:
            with engine.connect() as holder:
                holder.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
                with engine.connect() as conn, pytest.raises(OperationalError) as caught:
                    conn.execute(text("SET lock_timeout = '10ms'"))
                    conn.execute(text(f"SELECT * FROM {table}"))
                holder.rollback()
        finally:
            with engine.begin() as conn:
                conn.execute(text(f"DROP TABLE {table}"))
            engine.dispose()
        assert caught.value.orig.sqlstate == "55P03"
        assert _operational_kind(caught.value) == "busy"
