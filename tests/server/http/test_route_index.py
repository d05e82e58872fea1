"""The exact-path route index serves the fixed paths (not FastAPI's scan) and answers like FastAPI's own
routing: handler, 405 and 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from regista.server.app import create_app
from regista.server.http.route_index import ExactPathIndex
from regista.server.routes import MLFLOW_ROUTERS
from regista.server.settings import Settings
from tests.fixtures.wire import assert_error

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")


def the_index(app: FastAPI) -> ExactPathIndex:
    found = [r for r in app.router.routes if isinstance(r, ExactPathIndex)]
    assert len(found) == 1, "create_app must put one ExactPathIndex among the app's routes"
    return found[0]


def http_scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("route-index"), auth=False, access_log=False))


class Spy:
    """Wraps the app's own index and records the paths it handled (the real handling still runs)."""

    def __init__(self, index: ExactPathIndex) -> None:
        self.handled: list[str] = []
        self._handle = index.handle

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.handled.append(scope["path"])
        await self._handle(scope, receive, send)


Request = Callable[..., httpx.Response]


@pytest.fixture(scope="module")
def spied(app: FastAPI) -> Iterator[tuple[Request, Spy]]:
    """request(method, path, **kwargs) into the app in-process (lifespan run), and the spy on its index."""
    index = the_index(app)
    spy = Spy(index)
    index.handle = spy  # type: ignore[method-assign]
    try:
        with anyio.from_thread.start_blocking_portal() as portal, portal.wrap_async_context_manager(
            app.router.lifespan_context(app)
        ):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in-process")

            def request(method: str, path: str, **kwargs: Any) -> httpx.Response:
                return portal.call(partial(client.request, method, path, **kwargs))

            yield request, spy
            portal.call(client.aclose)
    finally:
        del index.handle


class TestIndexContents:
    def test_every_fixed_mlflow_path_is_indexed_under_both_prefixes(self, app: FastAPI) -> None:
        index = the_index(app)
        fixed = [r for router in MLFLOW_ROUTERS for r in router.routes
                 if isinstance(r, APIRoute) and "{" not in r.path]
        assert len(fixed) > 50
        for prefix in PREFIXES:
            for route in fixed:
                method = sorted(route.methods)[0]
                match, child = index.matches(http_scope(method, prefix + route.path))
                assert match is Match.FULL, (method, prefix + route.path)
                assert child["endpoint"] is route.endpoint

    def test_wrong_method_is_a_partial_match(self, app: FastAPI) -> None:
        match, _ = the_index(app).matches(http_scope("GET", "/api/2.0/mlflow/registered-models/create"))
        assert match is Match.PARTIAL

    def test_paths_with_parameters_are_left_to_the_scan(self, app: FastAPI) -> None:
        match, _ = the_index(app).matches(http_scope("GET", f"/api/2.0/mlflow/logged-models/m-{'0' * 32}"))
        assert match is Match.NONE


class TestIndexServesRequests:
    def test_a_fixed_path_is_answered_through_the_index(self, spied: tuple[Request, Spy], unique: str) -> None:
        request, spy = spied
        path = "/api/2.0/mlflow/registered-models/create"
        r = request("POST", path, json={"name": f"spied-{unique}"})
        assert r.status_code == 200, r.text
        assert spy.handled[-1] == path

    def test_wrong_method_on_a_fixed_path_is_answered_by_the_index(self, spied: tuple[Request, Spy]) -> None:
        request, spy = spied
        path = "/ajax-api/2.0/mlflow/experiments/create"
        before = len(spy.handled)
        assert_error(request("GET", path), 405, "ENDPOINT_NOT_FOUND")
        assert spy.handled[before:] == [path]

    def test_path_with_parameters_goes_to_the_scan(self, spied: tuple[Request, Spy]) -> None:
        request, spy = spied
        before = len(spy.handled)
        assert_error(request("GET", f"/api/2.0/mlflow/logged-models/m-{'0' * 32}"), 404, "RESOURCE_DOES_NOT_EXIST")
        assert spy.handled[before:] == []


class TestOverHttp:
    def test_fixed_path_reaches_its_handler_under_both_prefixes(self, server_url: str, unique: str) -> None:
        for prefix in PREFIXES:
            name = f"idx-{prefix.split('/')[1]}-{unique}"
            r = httpx.post(f"{server_url}{prefix}/registered-models/create", json={"name": name})
            assert r.status_code == 200 and r.json()["registered_model"]["name"] == name

    def test_wrong_method_on_a_fixed_path_is_405_allowing_the_path_s_methods(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/registered-models/create")
        assert_error(r, 405, "ENDPOINT_NOT_FOUND")
        assert r.headers["allow"] == "POST"

    def test_path_with_parameters_still_routes(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/logged-models/m-{'0' * 32}")
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    def test_handler_error_on_a_fixed_path_keeps_mlflows_envelope(self, server_url: str, unique: str) -> None:
        # Fixed-path handlers are called directly by the index; their errors still reach the error handlers.
        r = httpx.get(f"{server_url}/api/2.0/mlflow/registered-models/get", params={"name": f"missing-{unique}"})
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    def test_malformed_body_on_a_fixed_path_is_a_400_envelope(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}/api/2.0/mlflow/registered-models/create", content=b"{not json",
                       headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert r.json()["message"]
