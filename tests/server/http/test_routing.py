"""TransactionalRoute ends every handler's transaction itself: work a handler hands to
`outside_transaction` runs after the commit (with the SQLite write lock released), a failing handler's
side effects never run, and a handler the route could not finish is refused when the route is built."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine, text
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import InvalidParameter
from regista.server.db.engine import build_engine
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.error_handlers import install_error_handlers
from regista.server.http.responses import ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction
from tests.fixtures.fresh_loop import run_in_fresh_loop


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path / 'route.db'}", busy_timeout_s=0.2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def post(engine: Engine, router: APIRouter, path: str) -> httpx.Response:
    """POST `path` to an app holding only `router`, in process."""
    app = FastAPI()
    app.state.engine = engine
    app.state.write_lock = threading.Lock()
    app.state.settings = SimpleNamespace(sqlite_busy_timeout_s=0.2)
    app.state.artifacts = None
    app.state.authenticator = None
    app.state.inline_reads = True
    app.state.events_recorded = None
    install_error_handlers(app)
    app.include_router(router)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://regista") as c:
            return await c.post(path)

    return run_in_fresh_loop(call)


class TestOutsideTransaction:
    def test_runs_after_the_commit_with_the_write_lock_released(self, engine: Engine) -> None:
        router = APIRouter(route_class=TransactionalRoute)
        seen: list[int] = []

        async def after(request: Request, value: int) -> Response:
            # Another writer gets the database at once, and sees the committed row.
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value + 1})
            seen.append(count(engine))
            return ok({"done": value})

        @router.post("/write")
        def write(ctx: WriteCtx) -> OutsideTransaction:
            ctx.conn.execute(text("INSERT INTO t VALUES (1)"))
            return outside_transaction(after, 1)

        r = post(engine, router, "/write")

        assert r.status_code == 200 and r.json() == {"done": 1}
        assert seen == [2]

    def test_a_failing_handler_rolls_back_and_runs_nothing_after(self, engine: Engine) -> None:
        router = APIRouter(route_class=TransactionalRoute)
        ran: list[str] = []

        async def after(request: Request) -> Response:
            ran.append("outside")
            return ok()

        @router.post("/fail")
        def fail(ctx: WriteCtx) -> OutsideTransaction:
            ctx.conn.execute(text("INSERT INTO t VALUES (1)"))
            ctx.after_commit(lambda: ran.append("after_commit"))
            raise InvalidParameter("no")

        r = post(engine, router, "/fail")

        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert ran == []
        assert count(engine) == 0


class TestRouteConstruction:
    def test_an_async_handler_taking_a_context_is_refused(self) -> None:
        router = APIRouter(route_class=TransactionalRoute)

        async def handler(ctx: ReadCtx) -> Response:
            return ok()

        with pytest.raises(TypeError, match="plain def"):
            router.add_api_route("/x", handler)
