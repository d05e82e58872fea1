"""Side effects of a request (`ctx.after_commit`, `ctx.on_rollback`) run only for the outcome they were
registered for, after the transaction has ended: checked on a real SQLite database, through the route's
finishing function (http/routing.py) and through Context.finish."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, exc, text

from regista.server.context import Context
from regista.server.db.engine import build_engine
from regista.server.db.unit_of_work import UnitOfWork
from regista.server.http.routing import _run_and_finish
from regista.server.principal import ANONYMOUS_ADMIN


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path / 'ctx.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        # Checked at COMMIT: lets a test make the commit itself fail.
        conn.execute(text(
            "CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
        ))
    yield engine
    engine.dispose()


def context(engine: Engine) -> Context:
    return Context(UnitOfWork(engine, write=True), ANONYMOUS_ADMIN, None, None)  # type: ignore[arg-type]


def rows(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r.x for r in conn.execute(text("SELECT x FROM t ORDER BY x"))]


class TestAfterCommit:
    def test_runs_after_the_commit_in_the_order_registered(self, engine: Engine) -> None:
        ctx = context(engine)
        seen: list[tuple[str, list[int]]] = []
        ctx.conn.execute(text("INSERT INTO t VALUES (1)"))
        # Each side effect sees the committed row from another connection: the commit came first.
        ctx.after_commit(lambda: seen.append(("first", rows(engine))))
        ctx.after_commit(lambda: seen.append(("second", rows(engine))))

        _run_and_finish(lambda: None, {}, [ctx])

        assert seen == [("first", [1]), ("second", [1])]

    def test_does_not_run_when_the_handler_fails(self, engine: Engine) -> None:
        ctx = context(engine)
        ran: list[str] = []

        def handler() -> None:
            ctx.conn.execute(text("INSERT INTO t VALUES (1)"))
            ctx.after_commit(lambda: ran.append("after_commit"))
            raise ValueError("the request failed")

        with pytest.raises(ValueError):
            _run_and_finish(handler, {}, [ctx])

        assert ran == []
        assert rows(engine) == []

    def test_does_not_run_when_the_commit_itself_fails(self, engine: Engine) -> None:
        ctx = context(engine)
        ran: list[str] = []

        def handler() -> None:
            ctx.conn.execute(text("INSERT INTO child VALUES (42)"))  # no parent 42: refused at COMMIT
            ctx.after_commit(lambda: ran.append("after_commit"))
            ctx.on_rollback(lambda: ran.append("on_rollback"))

        with pytest.raises(exc.IntegrityError):
            _run_and_finish(handler, {}, [ctx])

        assert ran == ["on_rollback"]

    def test_a_failing_side_effect_is_logged_and_the_next_still_runs(
        self, engine: Engine, caplog: pytest.LogCaptureFixture
    ) -> None:
        ctx = context(engine)
        ran: list[str] = []

        def broken() -> None:
            raise OSError("the store is unreachable")

        ctx.conn.execute(text("INSERT INTO t VALUES (1)"))
        ctx.after_commit(broken)
        ctx.after_commit(lambda: ran.append("second"))
        with caplog.at_level(logging.ERROR, logger="regista.context"):
            result = _run_and_finish(lambda: "response", {}, [ctx])

        assert result == "response"
        assert ran == ["second"]
        assert rows(engine) == [1]
        assert "the store is unreachable" in caplog.text

    def test_runs_once_even_if_the_context_is_finished_again(self, engine: Engine) -> None:
        ctx = context(engine)
        ran: list[str] = []
        ctx.after_commit(lambda: ran.append("x"))
        ctx.finish(commit=True)
        ctx.finish(commit=True)
        assert ran == ["x"]


class TestOnRollback:
    def test_runs_when_the_handler_fails_and_not_on_commit(self, engine: Engine) -> None:
        failed, committed = context(engine), context(engine)
        ran: list[str] = []
        failed.on_rollback(lambda: ran.append("failed"))
        committed.on_rollback(lambda: ran.append("committed"))

        with pytest.raises(RuntimeError):
            _run_and_finish(lambda: (_ for _ in ()).throw(RuntimeError("boom")), {}, [failed])
        _run_and_finish(lambda: None, {}, [committed])

        assert ran == ["failed"]

    def test_runs_after_the_rollback_has_released_the_write_lock(self, engine: Engine) -> None:
        ctx = context(engine)
        ctx.conn.execute(text("INSERT INTO t VALUES (1)"))
        written: list[list[int]] = []

        def write_elsewhere() -> None:
            # Another writer gets the database at once: the request's transaction is over.
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (2)"))
            written.append(rows(engine))

        ctx.on_rollback(write_elsewhere)
        ctx.finish(commit=False)
        assert written == [[2]]


class TestSeparateRead:
    def test_a_separate_read_refuses_side_effects(self, engine: Engine) -> None:
        ctx = context(engine)
        with ctx.separate_read() as reader:
            with pytest.raises(RuntimeError):
                reader.after_commit(lambda: None)
            with pytest.raises(RuntimeError):
                reader.on_rollback(lambda: None)
