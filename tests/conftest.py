"""Session fixtures: one live server per database backend, shared by the tests that need one."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.identities import ADMIN_TOKEN, IdentityFactory, workspace_client
from tests.fixtures.live_server import LiveServer, start_server

# mlflow must not be slowed down or redirected by the environment of whoever runs the tests.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ.pop("MLFLOW_TRACKING_URI", None)
# pyspark (installed for `regista predict --engine spark`) exits any process whose __main__ has neither a spec nor
# a file, taking it for a doctest run; pytest-xdist's workers look like that, and mlflow imports pyspark when it
# logs a pyfunc model. Give the worker's __main__ a file name so that guard leaves it alone.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"
os.environ.pop("MLFLOW_REGISTRY_URI", None)

BACKENDS = [b for b in os.environ.get("REGISTA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@pytest.fixture(autouse=True)
def _no_leftover_mlflow_experiment() -> Iterator[None]:
    """A test that calls mlflow.set_experiment leaves that experiment active for the next test of the worker,
    which may talk to another server (the other database) where the id does not exist."""
    yield
    from mlflow.tracking import fluent

    while fluent.active_run() is not None:
        fluent.end_run()
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        # `@pytest.mark.backends("sqlite")`: a client-side test whose server's database does not matter runs
        # against one backend only (not skipped on the other: never collected there).
        marker = metafunc.definition.get_closest_marker("backends")
        chosen = [b for b in BACKENDS if marker is None or b in marker.args]
        metafunc.parametrize("backend", chosen, scope="session")


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
def mlflow_client(live_server: LiveServer):
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


@pytest.fixture(scope="session")
def auth_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A `regista server --auth` process over `backend` whose built-in admin's token is ADMIN_TOKEN."""
    tmp = tmp_path_factory.mktemp(f"auth-server-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp, "--auth", env={"REGISTA_ADMIN_TOKEN": ADMIN_TOKEN})
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def identities(auth_server: LiveServer) -> Iterator[IdentityFactory]:
    """Creates users, service principals and groups (with tokens) in the auth server's database."""
    factory = IdentityFactory(auth_server.database_url)
    yield factory
    factory.close()


@pytest.fixture
def admin_workspace(auth_server: LiveServer):
    """databricks-sdk WorkspaceClient acting as the built-in admin."""
    return workspace_client(auth_server.url, ADMIN_TOKEN)


@pytest.fixture
def as_caller(auth_server: LiveServer, monkeypatch: pytest.MonkeyPatch):
    """as_caller(token) -> an MlflowClient whose requests carry `token` (MLFLOW_TRACKING_TOKEN), and the fluent
    API pointed at the auth server. The token applies to every mlflow call until the next as_caller."""
    import mlflow
    from mlflow import MlflowClient

    def switch(token: str | None) -> MlflowClient:
        if token is None:
            monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
        else:
            monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        mlflow.set_tracking_uri(auth_server.url)
        mlflow.set_registry_uri(auth_server.url)
        return MlflowClient(tracking_uri=auth_server.url, registry_uri=auth_server.url)

    yield switch
    if mlflow.active_run():
        mlflow.end_run()
