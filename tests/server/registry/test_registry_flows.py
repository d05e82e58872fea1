"""End-to-end registry flows with the unmodified mlflow client: log_model with registration,
register_model, loading by version / alias / stage, downloading, and versions surviving their run."""

from __future__ import annotations

import json

import httpx
import mlflow
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from tests.server.registry.registry_helpers import call, transition

X = np.array([[0.0], [1.0], [2.0]])


def fit(slope: float) -> LinearRegression:
    return LinearRegression().fit(X, X[:, 0] * slope)


def wire_version(url: str, name: str, version: str) -> dict:
    """The version as the server sends it (the client's ModelVersion.from_proto drops model_id)."""
    return call(url, "GET", "/model-versions/get", params={"name": name, "version": version}).json()["model_version"]


def log_registered(name: str, slope: float):
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(fit(slope), name="model", pip_requirements=["scikit-learn"], registered_model_name=name)
    return run, info


class TestLogModelWithRegistration:
    def test_two_logs_give_versions_1_and_2_with_lineage(self, live_server, mlflow_client, unique):
        name = f"flow-{unique}"
        run1, info1 = log_registered(name, 1.0)
        run2, info2 = log_registered(name, 2.0)
        v1, v2 = wire_version(live_server.url, name, "1"), wire_version(live_server.url, name, "2")
        assert (v1["run_id"], v1["model_id"], v1["source"]) == (run1.info.run_id, info1.model_id, f"models:/{info1.model_id}")
        assert (v2["run_id"], v2["model_id"]) == (run2.info.run_id, info2.model_id)
        assert mlflow_client.get_model_version_download_uri(name, "1").startswith("mlflow-artifacts:/_registry/")
        tag = json.loads(mlflow_client.get_logged_model(info1.model_id).tags["mlflow.modelVersions"])
        assert {"name": name, "version": 1} in [{**e, "version": int(e["version"])} for e in tag]


class TestRegisterModel:
    def test_register_runs_uri_of_a_logged_model(self, live_server, mlflow_client, unique):
        name = f"reg-{unique}"
        with mlflow.start_run() as run:
            info = mlflow.sklearn.log_model(fit(3.0), name="model", pip_requirements=["scikit-learn"])
        mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
        assert mv.version == "1" and mv.run_id == run.info.run_id
        assert wire_version(live_server.url, name, "1")["model_id"] == info.model_id
        loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
        assert loaded.predict(np.array([[2.0]]))[0] == pytest.approx(6.0)

    def test_register_run_artifact_directory(self, mlflow_client, unique, tmp_path):
        name = f"reg-{unique}"
        mlflow.sklearn.save_model(fit(4.0), tmp_path / "m")
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(tmp_path / "m"), artifact_path="model")
        mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
        assert mv.run_id == run.info.run_id
        uri = mlflow_client.get_model_version_download_uri(name, mv.version)
        assert uri.startswith("mlflow-artifacts:/_registry/")
        assert mlflow.pyfunc.load_model(f"models:/{name}/{mv.version}").predict(np.array([[1.0]]))[0] == pytest.approx(4.0)


class TestLoadRegisteredModel:
    def test_load_by_version_alias_and_stage(self, mlflow_client, unique):
        name = f"load-{unique}"
        log_registered(name, 1.0)
        log_registered(name, 5.0)
        mlflow_client.set_registered_model_alias(name, "champion", "2")
        transition(mlflow_client, name, 1, "Production")
        x = np.array([[1.0]])
        assert mlflow.pyfunc.load_model(f"models:/{name}/1").predict(x)[0] == pytest.approx(1.0)
        assert mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(x)[0] == pytest.approx(5.0)
        assert mlflow.pyfunc.load_model(f"models:/{name}/Production").predict(x)[0] == pytest.approx(1.0)
        assert mlflow.pyfunc.load_model(f"models:/{name}/latest").predict(x)[0] == pytest.approx(5.0)

    def test_download_artifacts_of_a_version(self, mlflow_client, unique, tmp_path):
        name = f"dl-{unique}"
        log_registered(name, 1.0)
        path = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path))
        files = {p.name for p in (tmp_path).rglob("*") if p.is_file()}
        assert "MLmodel" in files and path


class TestVersionOutlivesItsRun:
    def test_deleting_run_and_its_artifacts_keeps_the_version_loadable(self, live_server, mlflow_client, unique):
        name = f"survive-{unique}"
        run, info = log_registered(name, 7.0)
        logged = mlflow_client.get_logged_model(info.model_id)
        mlflow_client.delete_run(run.info.run_id)
        # Remove the logged model's files through the artifact proxy.
        rel = logged.artifact_location.removeprefix("mlflow-artifacts:/")
        resp = httpx.delete(f"{live_server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}", timeout=30)
        assert resp.status_code == 200
        listing = httpx.get(f"{live_server.url}/api/2.0/mlflow-artifacts/artifacts", params={"path": rel}).json()
        assert not listing.get("files")
        model = mlflow.pyfunc.load_model(f"models:/{name}/1")
        assert model.predict(np.array([[1.0]]))[0] == pytest.approx(7.0)

    def test_copy_model_version_of_a_logged_model(self, live_server, mlflow_client, unique):
        name = f"src-{unique}"
        _, info = log_registered(name, 2.0)
        copied = mlflow_client.copy_model_version(f"models:/{name}/1", f"dst-{unique}")
        assert copied.source == f"models:/{name}/1"
        assert copied.run_id == mlflow_client.get_model_version(name, "1").run_id
        # The client's ModelVersion.from_proto drops model_id, so read the inherited lineage on the wire.
        wire = call(live_server.url, "GET", "/model-versions/get", params={"name": f"dst-{unique}", "version": "1"})
        assert wire.json()["model_version"]["model_id"] == info.model_id
        mlflow_client.delete_model_version(name, "1")
        model = mlflow.pyfunc.load_model(f"models:/dst-{unique}/1")
        assert model.predict(np.array([[1.0]]))[0] == pytest.approx(2.0)
