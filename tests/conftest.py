"""Session fixtures: one live server per database backend, shared by the tests that need one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import LiveServer, start_server

# mlflow must not be slowed down or redirected by the environment of whoever runs the tests.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("MLFLOW_REGISTRY_URI", None)

BACKENDS = [b for b in os.environ.get("REGISTA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")


@pytest.fixture(scope="session")
def live_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A `regista server` process on a free port over `backend`, shared by every test of the session."""
    tmp = tmp_path_factory.mktemp(f"server-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def server_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture
def mlflow_client(live_server: LiveServer):  # type: ignore[no-untyped-def]
    """The unmodified mlflow client pointed at the live server (fluent API included)."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(live_server.url)
    mlflow.set_registry_uri(live_server.url)
    yield MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)
    if mlflow.active_run():
        mlflow.end_run()


@pytest.fixture
def unique() -> str:
    """A fresh suffix so tests sharing one server never collide on names."""
    return uuid.uuid4().hex[:10]
