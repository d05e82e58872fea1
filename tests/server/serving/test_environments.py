"""Serving with an environment manager: a server started with `--serving-env-manager uv` runs each model in
an environment built from the model's own requirements (python_env.yaml + requirements.txt), cached by hash
under data_dir/serving/envs, built once for every served entity and endpoint that needs it (a lock file, held
here by the test process to watch the waiting state), and a model whose environment cannot be built fails
alone, with uv's error in its logs."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    Route,
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
    TrafficConfig,
)

from regista.environments.builder import MARKER
from regista.environments.requirements import read_environment
from tests.fixtures.databases import database_url
from tests.fixtures.identities import ADMIN_TOKEN, IdentityFactory, workspace_client
from tests.fixtures.live_server import LiveServer, start_server
from tests.server.serving.conftest import (
    COLUMNS,
    ROWS,
    SERVING_ENV,
    WAIT_S,
    create_endpoint,
    entity,
    invoke,
    split,
    wait_until,
)


@dataclass(frozen=True)
class EnvServer:
    server: LiveServer
    iris: str  # a logistic regression on iris, mlflow's inferred requirements
    broken: str  # the same with a requirement that does not exist in any registry
    future_python: str  # the same, its python_env.yaml asking for Python 3.99
    iris_dir: str  # iris version 1's files, downloaded here

    @property
    def envs(self) -> Path:
        return self.server.data_dir / "serving" / "envs"

    def env_dirs(self) -> list[str]:
        """Finished environments and leftover builds (lock files are not folders)."""
        if not self.envs.exists():
            return []
        return sorted(p.name for p in self.envs.iterdir() if p.is_dir())


def _log_models(url: str, tmp: Path) -> tuple[str, str, str, str]:
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    suffix = uuid.uuid4().hex[:8]
    iris, broken, future = f"env-iris-{suffix}", f"env-broken-{suffix}", f"env-py399-{suffix}"
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    x = pd.DataFrame(ROWS * 4, columns=COLUMNS)
    clf = LogisticRegression(max_iter=500).fit(x, [0, 2, 1] * 4)
    sig = infer_signature(x, clf.predict(x))
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(clf, name="iris", signature=sig, registered_model_name=iris)
        # The other two reuse the requirements mlflow inferred for the first (inferring loads the model in a
        # subprocess, slow on a busy machine), plus what makes each of them fail.
        requirements = Path(mlflow.pyfunc.get_model_dependencies(info.model_uri)).read_text()
        inferred = [line for line in requirements.splitlines() if line.strip()]
        mlflow.sklearn.log_model(clf, name="broken", signature=sig, registered_model_name=broken,
                                 pip_requirements=[*inferred, f"regista-no-such-package-{suffix}==1.0"])
        saved = tmp / "py399"
        mlflow.sklearn.save_model(clf, str(saved), signature=sig, pip_requirements=inferred)
        env_file = saved / "python_env.yaml"
        env_file.write_text("\n".join(
            "python: 3.99.1" if line.startswith("python:") else line for line in env_file.read_text().splitlines()
        ) + "\n")
        mlflow.log_artifacts(str(saved), "py399")
    mlflow.register_model(f"runs:/{run.info.run_id}/py399", future)
    iris_dir = mlflow.artifacts.download_artifacts(f"models:/{iris}/1", dst_path=str(tmp / "iris"))
    return iris, broken, future, iris_dir


@pytest.fixture(scope="session")
def env_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvServer]:
    tmp = tmp_path_factory.mktemp(f"serving-uv-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp / "data", "--auth", "--serving-env-manager", "uv", env=SERVING_ENV)
        os.environ["MLFLOW_TRACKING_TOKEN"] = ADMIN_TOKEN
        try:
            names = _log_models(server.url, tmp)
        finally:
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        try:
            yield EnvServer(server, *names)
        finally:
            server.stop()


@pytest.fixture
def ws(env_server: EnvServer) -> Any:
    return workspace_client(env_server.server.url, ADMIN_TOKEN)


def _digest(model_dir: str) -> str:
    return read_environment(model_dir, f"{sys.version_info[0]}.{sys.version_info[1]}").digest("uv")


def _served(ws: Any, name: str, served: str) -> Any:
    return next(e for e in ws.serving_endpoints.get(name).config.served_entities if e.name == served)


def _worker_interpreters() -> list[str]:
    """The interpreters of this machine's running regista model workers (from /proc)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(argv) > 3 and argv[1] == b"-c" and b"serving_worker.py" in argv[3]:
            found.append(argv[0].decode())
    return found


class TestUvEnvironments:
    def test_a_model_runs_in_its_own_environment_built_once_for_every_entity_that_needs_it(self, env_server, ws):
        digest = _digest(env_server.iris_dir)
        env_server.envs.mkdir(parents=True, exist_ok=True)
        name = f"ep-{uuid.uuid4().hex[:10]}"
        # The test process holds the environment's lock, as another server process building it would: both
        # served entities (same model, same requirements) wait, and the endpoint shows it is not ready yet.
        with open(env_server.envs / f"{digest}.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            config = EndpointCoreConfigInput(name=name, served_entities=[
                entity(env_server.iris, "1", "a"), entity(env_server.iris, "1", "b")],
                traffic_config=TrafficConfig(routes=[Route(served_model_name="a", traffic_percentage=50),
                                                     Route(served_model_name="b", traffic_percentage=50)]))
            ws.serving_endpoints.create(name, config=config)
            for served in ("a", "b"):
                wait_until(lambda s=served: "waiting for it" in ws.serving_endpoints.build_logs(name, s).logs,
                           f"{served} waiting for the environment lock")
            ep = ws.serving_endpoints.get(name)
            assert (ep.state.ready.value, ep.state.config_update.value) == ("NOT_READY", "IN_PROGRESS")
            assert env_server.env_dirs() == []
        ep = ws.serving_endpoints.wait_get_serving_endpoint_not_updating(name, timeout=timedelta(seconds=WAIT_S))
        assert ep.state.ready.value == "READY", ws.serving_endpoints.logs(name, "a").logs

        r = invoke(env_server.server.url, name, split())
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == len(ROWS)
        # One environment, built by exactly one of the two entities; the other used it.
        assert env_server.env_dirs() == [digest]
        build_logs = {s: ws.serving_endpoints.build_logs(name, s).logs for s in ("a", "b")}
        builders = [s for s, text in build_logs.items() if "building with uv" in text]
        assert len(builders) == 1, build_logs
        other = "b" if builders == ["a"] else "a"
        assert "built by another served entity" in build_logs[other]
        # The build's output is in the builder's worker logs too: uv's install of the model's requirements.
        logs = ws.serving_endpoints.logs(name, builders[0]).logs
        assert "uv pip install" in logs and "mlflow==3.17.2" in logs and "scikit-learn" in logs
        # The workers really run the environment's interpreter.
        python = str(env_server.envs / digest / "bin" / "python")
        assert _worker_interpreters().count(python) >= 2
        marker = env_server.envs / digest / MARKER
        built_at = marker.stat().st_mtime_ns

        # A second endpoint with the same requirements reuses the environment: nothing is built again.
        second = create_endpoint(ws, [entity(env_server.iris, "1", "main")])
        assert second.state.ready.value == "READY"
        assert invoke(env_server.server.url, second.name, split(ROWS[:1])).status_code == 200
        assert "cached" in ws.serving_endpoints.build_logs(second.name, "main").logs
        assert env_server.env_dirs() == [digest]
        assert marker.stat().st_mtime_ns == built_at

        # Build logs, like the worker logs, need CAN_MANAGE: a second principal that may query gets a 403.
        identities = IdentityFactory(env_server.server.database_url)
        try:
            user = identities.user()
            other = workspace_client(env_server.server.url, user.token)
            with pytest.raises(PermissionDenied):
                other.serving_endpoints.build_logs(second.name, "main")
            ws.serving_endpoints.update_permissions(second.id, access_control_list=[
                ServingEndpointAccessControlRequest(user_name=user.name,
                                                    permission_level=ServingEndpointPermissionLevel.CAN_QUERY)])
            with pytest.raises(PermissionDenied):
                other.serving_endpoints.build_logs(second.name, "main")
            assert invoke(env_server.server.url, second.name, split(ROWS[:1]), token=user.token).status_code == 200
        finally:
            identities.close()
        ws.serving_endpoints.delete(name)
        ws.serving_endpoints.delete(second.name)

    def test_a_model_whose_environment_cannot_be_built_fails_alone_with_the_reason(self, env_server, ws):
        good = create_endpoint(ws, [entity(env_server.iris, "1", "main")])
        broken, future = f"ep-{uuid.uuid4().hex[:10]}", f"ep-{uuid.uuid4().hex[:10]}"
        for name, model in ((broken, env_server.broken), (future, env_server.future_python)):
            ws.serving_endpoints.create(name, config=EndpointCoreConfigInput(
                name=name, served_entities=[entity(model, "1", "main")]))

        def failed(name: str) -> Any:
            ep = ws.serving_endpoints.get(name)
            return ep if ep.state.config_update.value == "UPDATE_FAILED" else None

        # A requirement that no registry has: uv's error, in the state and (in its own words) in the logs.
        ep = wait_until(lambda: failed(broken), "the endpoint with a missing requirement to fail")
        assert ep.state.ready.value == "NOT_READY"
        message = ep.config.served_entities[0].state.deployment_state_message
        assert "uv pip install exited with code" in message and "regista-no-such-package-" in message
        assert "was not found in the package registry" in ws.serving_endpoints.logs(broken, "main").logs
        # A Python this machine does not have is named, not replaced by another one.
        ep = wait_until(lambda: failed(future), "the endpoint asking for Python 3.99 to fail")
        message = ep.config.served_entities[0].state.deployment_state_message
        assert "asks for Python 3.99.1" in message and "REGISTA_SERVING_ENV_PYTHON_DOWNLOADS" in message
        assert "asks for Python 3.99.1" in ws.serving_endpoints.logs(future, "main").logs
        # Nothing that looks like a finished (or half-built) environment is left for either.
        assert len(env_server.env_dirs()) == 1  # the iris one
        # The other endpoint is untouched.
        r = invoke(env_server.server.url, good.name, split())
        assert r.status_code == 200 and len(r.json()["predictions"]) == len(ROWS)
        for name in (broken, future, good.name):
            ws.serving_endpoints.delete(name)


def test_an_unknown_environment_manager_is_refused_at_start(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "regista.cli.main", "server", "--port", "0", "--data-dir", str(tmp_path),
         "--serving-env-manager", "conda"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "unknown serving environment manager 'conda'" in proc.stderr
    assert "local, virtualenv, uv" in proc.stderr
