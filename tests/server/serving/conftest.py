"""Fixtures of the serving tests: one authenticated server per backend that looks at its endpoints often,
real models registered in it (an sklearn classifier in two versions, and pyfunc models that crash, sleep
or fail to load), and helpers to create endpoints and query them over HTTP."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.identities import ADMIN_TOKEN, IdentityFactory, workspace_client
from tests.fixtures.live_server import LiveServer, start_server

SERVING_ENV = {
    "REGISTA_ADMIN_TOKEN": ADMIN_TOKEN,
    "REGISTA_SERVING_POLL_INTERVAL": "0.2",
    "REGISTA_SERVING_REQUEST_TIMEOUT": "8",
    "REGISTA_SERVING_SCALE_TO_ZERO_AFTER": "1",
    # The fake provider of the external-model tests listens on loopback.
    "REGISTA_SERVING_ALLOW_PRIVATE": "true",
}
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
# The constant the second version of the classifier always predicts.
CONSTANT = 7
WAIT_S = 240


@pytest.fixture(scope="session")
def serving_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"serving-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp, "--auth", env=SERVING_ENV)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def serving_identities(serving_server: LiveServer) -> Iterator[IdentityFactory]:
    factory = IdentityFactory(serving_server.database_url)
    yield factory
    factory.close()


@pytest.fixture
def admin_ws(serving_server: LiveServer) -> Any:
    return workspace_client(serving_server.url, ADMIN_TOKEN)


@dataclass(frozen=True)
class Models:
    """Names of the registered models: `classifier` v1 predicts iris classes, v2 always CONSTANT."""

    classifier: str
    crasher: str
    sleeper: str
    unloadable: str


def _log_models(url: str) -> Models:
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    # Classes defined here are pickled by value, so the worker processes can load them without this module.
    class Crasher(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            if (model_input["x"] < 0).any():
                os._exit(3)  # a hard crash: the worker process dies
            return list(model_input["x"] * 2)

    class Sleeper(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            time.sleep(float(model_input["x"].iloc[0]))
            return list(model_input["x"])

    class Unloadable(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            raise RuntimeError("boom while loading the model")

        def predict(self, context, model_input, params=None):
            return list(model_input["x"])

    suffix = uuid.uuid4().hex[:8]
    names = Models(f"iris-{suffix}", f"crasher-{suffix}", f"sleeper-{suffix}", f"unloadable-{suffix}")
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    x = pd.DataFrame(ROWS * 4, columns=COLUMNS)
    y = [0, 2, 1] * 4
    xs = pd.DataFrame({"x": [1.0, 2.0]})
    with mlflow.start_run():
        clf = LogisticRegression(max_iter=500).fit(x, y)
        sig = infer_signature(x, clf.predict(x))
        mlflow.sklearn.log_model(clf, name="v1", pip_requirements=["scikit-learn"], signature=sig, registered_model_name=names.classifier)
        const = DummyClassifier(strategy="constant", constant=CONSTANT).fit(x, [CONSTANT] * len(x))
        mlflow.sklearn.log_model(const, name="v2", pip_requirements=["scikit-learn"], signature=sig, registered_model_name=names.classifier)
        sig_x = infer_signature(xs, [1.0, 2.0])
        mlflow.pyfunc.log_model(name="crasher", pip_requirements=["mlflow"], python_model=Crasher(), signature=sig_x,
                                registered_model_name=names.crasher)
        mlflow.pyfunc.log_model(name="sleeper", pip_requirements=["mlflow"], python_model=Sleeper(), signature=sig_x,
                                registered_model_name=names.sleeper)
        mlflow.pyfunc.log_model(name="unloadable", pip_requirements=["mlflow"], python_model=Unloadable(), signature=sig_x,
                                registered_model_name=names.unloadable)
    return names


@pytest.fixture(scope="session")
def models(serving_server: LiveServer) -> Models:
    previous = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = ADMIN_TOKEN
    try:
        return _log_models(serving_server.url)
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        else:
            os.environ["MLFLOW_TRACKING_TOKEN"] = previous


def entity(name: str, version: str, served_name: str | None = None, **extra: Any) -> Any:
    from databricks.sdk.service.serving import ServedEntityInput

    return ServedEntityInput(entity_name=name, entity_version=version, name=served_name,
                             scale_to_zero_enabled=extra.pop("scale_to_zero_enabled", False), **extra)


def create_endpoint(ws: Any, entities: list[Any], routes: list[tuple[str, int]] | None = None) -> Any:
    """A new endpoint (a fresh name) created with create_and_wait: READY on return."""
    from databricks.sdk.service.serving import EndpointCoreConfigInput, Route, TrafficConfig

    name = f"ep-{uuid.uuid4().hex[:10]}"
    traffic = None
    if routes:
        traffic = TrafficConfig(routes=[Route(served_model_name=n, traffic_percentage=p) for n, p in routes])
    config = EndpointCoreConfigInput(name=name, served_entities=entities, traffic_config=traffic)
    from datetime import timedelta

    return ws.serving_endpoints.create_and_wait(name, config=config, timeout=timedelta(seconds=WAIT_S))


def invoke(url: str, endpoint: str, payload: Any, token: str = ADMIN_TOKEN, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{url}/serving-endpoints/{endpoint}/invocations", json=payload,
                      headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs)


def split(rows: list[list[float]] = ROWS) -> dict[str, Any]:
    return {"dataframe_split": {"columns": COLUMNS, "data": rows}}


def wait_until(check: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    """Poll `check` until it returns something truthy (a condition, not a timing: the deadline only stops a
    hung test)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren ...), read from /proc."""
    out, stack = set(), [pid]
    while stack:
        p = stack.pop()
        for task in os.listdir(f"/proc/{p}/task") if os.path.exists(f"/proc/{p}/task") else []:
            with contextlib.suppress(OSError), open(f"/proc/{p}/task/{task}/children") as fh:
                for child in map(int, fh.read().split()):
                    if child not in out:
                        out.add(child)
                        stack.append(child)
    return out
