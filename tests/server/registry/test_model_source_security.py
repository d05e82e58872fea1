"""model-versions/create as an attacker's tool: registering copies a source's files into the registry, so a
source in the store needs read permission on the object that owns its path (looked up from the path, never
from the caller's run); the registry's own storage and the whole store are never sources; local paths,
file:// URIs and link-local or metadata hosts are refused; object-store URIs stay references.
Tested as a non-admin principal with no permission on the victim's objects, with the mlflow client and raw
HTTP, on both databases."""

from __future__ import annotations

import uuid
from pathlib import Path

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.registry.registry_permission_helpers import caller_api
from tests.server.registry.source_security_world import (
    SECRET,
    Attacker,
    Victim,
    make_attacker,
    make_victim,
    put,
    registry_dirs,
    store_location_as_legacy,
)


@pytest.fixture(scope="module")
def victim(identities, auth_server) -> Victim:
    return make_victim(identities, auth_server.url)


@pytest.fixture
def attacker(identities, auth_server) -> Attacker:
    return make_attacker(identities, auth_server.url)


def _create(attacker: Attacker, name: str, source: str, **ids: str):
    return attacker.api.call("POST", "/model-versions/create", {"name": name, "source": source, **ids})


def _client_error(as_caller, attacker: Attacker, name: str, source: str, **ids: str) -> str:
    client = as_caller(attacker.caller.token)
    with pytest.raises(MlflowException) as err:
        client.create_model_version(name, source, **ids)
    return str(err.value.error_code)


class TestSourceInsideTheStore:
    def test_a_path_of_an_unreadable_experiment_is_denied(self, auth_server, victim, attacker, as_caller) -> None:
        name = attacker.model()
        before = registry_dirs(auth_server)
        for source in (f"mlflow-artifacts:/{victim.experiment_id}",
                       f"mlflow-artifacts:/{victim.experiment_id}/{victim.run_id}/artifacts/model",
                       f"{auth_server.url}/api/2.0/mlflow-artifacts/artifacts/{victim.experiment_id}"):
            assert_error(_create(attacker, name, source), 403, "PERMISSION_DENIED")
            assert _client_error(as_caller, attacker, name, source) == "PERMISSION_DENIED"
        assert attacker.versions(name) == [] and registry_dirs(auth_server) == before

    def test_the_callers_own_run_does_not_vouch_for_another_experiments_path(
        self, auth_server, identities, victim, attacker, as_caller
    ) -> None:
        # The attacker's run lives in the victim's directory (a location stored before experiments/create
        # checked who may write there): its files belong to the victim's experiment, whatever run the
        # request names, so registering them needs read permission on that experiment.
        eid = attacker.experiment()
        store_location_as_legacy(identities, eid, f"mlflow-artifacts:/{victim.experiment_id}/shared")
        run = attacker.run(eid)
        rel = f"{victim.experiment_id}/shared/{run['run_id']}/artifacts"
        put(victim.api, f"{rel}/model/MLmodel", SECRET)
        name = attacker.model()
        before = registry_dirs(auth_server)
        for body in ({"source": f"runs:/{run['run_id']}/model"},
                     {"source": f"mlflow-artifacts:/{rel}/model", "run_id": run["run_id"]}):
            resp = attacker.api.call("POST", "/model-versions/create", {"name": name, **body})
            assert_error(resp, 403, "PERMISSION_DENIED")
        assert _client_error(as_caller, attacker, name, f"runs:/{run['run_id']}/model") == "PERMISSION_DENIED"
        assert attacker.versions(name) == [] and registry_dirs(auth_server) == before

    @pytest.mark.parametrize("target", ["victim", "_registry"])
    @pytest.mark.parametrize("suffix", ["?", "#", "?x=1"])
    def test_a_stored_location_with_a_query_or_fragment_copies_nothing(
        self, auth_server, identities, victim, attacker, as_caller, target, suffix
    ) -> None:
        # A location stored before experiments/create refused these: the rules hold wherever a path is
        # resolved, so the attacker's run, logged model and `runs:/` sources reach nothing of the victim's.
        top = victim.experiment_id if target == "victim" else "_registry"
        eid = attacker.experiment()
        store_location_as_legacy(identities, eid, f"mlflow-artifacts:/{top}{suffix}")
        run = attacker.run(eid)
        logged = attacker.api.ok("POST", "/logged-models", {"experiment_id": eid})["model"]["info"]
        name = attacker.model()
        before = registry_dirs(auth_server)
        attempts = [({"source": f"mlflow-artifacts:/{top}", "run_id": run["run_id"]}),
                    ({"source": f"runs:/{run['run_id']}/"}),
                    ({"source": f"models:/{logged['model_id']}"}),
                    ({"source": f"mlflow-artifacts:/{top}", "model_id": logged["model_id"]})]
        for body in attempts:
            resp = attacker.api.call("POST", "/model-versions/create", {"name": name, **body})
            assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert _client_error(as_caller, attacker, name, f"runs:/{run['run_id']}/") == "INVALID_PARAMETER_VALUE"
        assert attacker.versions(name) == [] and registry_dirs(auth_server) == before

    def test_another_principals_logged_model_is_denied(self, auth_server, victim, attacker, as_caller) -> None:
        name = attacker.model()
        source = f"models:/{victim.logged_model_id}"
        assert_error(_create(attacker, name, source), 403, "PERMISSION_DENIED")
        assert _client_error(as_caller, attacker, name, source) == "PERMISSION_DENIED"
        assert attacker.versions(name) == []


class TestRegistryStorageIsNeverASource:
    @pytest.mark.parametrize("who", ["attacker", "admin"])
    def test_registry_paths_are_refused_even_for_admins(self, auth_server, victim, attacker, who) -> None:
        api = attacker.api if who == "attacker" else caller_api(auth_server.url, ADMIN_TOKEN)
        name = attacker.model()
        copy = victim.copy_uri.removeprefix("mlflow-artifacts:/")
        before = registry_dirs(auth_server)
        for source in ("mlflow-artifacts:/_registry", "mlflow-artifacts:/_registry/", f"mlflow-artifacts:/{copy}",
                       f"mlflow-artifacts:/{copy}/MLmodel", "mlflow-artifacts:/%5Fregistry",
                       f"{auth_server.url}/api/2.0/mlflow-artifacts/artifacts/_registry"):
            resp = api.call("POST", "/model-versions/create", {"name": name, "source": source})
            assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert registry_dirs(auth_server) == before

    @pytest.mark.parametrize("source", ["mlflow-artifacts:/", "mlflow-artifacts:", "mlflow-artifacts:///",
                                        "http://localhost/api/2.0/mlflow-artifacts/artifacts/"])
    @pytest.mark.parametrize("who", ["attacker", "admin"])
    def test_the_whole_store_is_refused(self, auth_server, attacker, source, who) -> None:
        # It contains the registry's storage: copying it into itself ran until ENAMETOOLONG.
        api = attacker.api if who == "attacker" else caller_api(auth_server.url, ADMIN_TOKEN)
        name = attacker.model()
        before = registry_dirs(auth_server)
        resp = api.call("POST", "/model-versions/create", {"name": name, "source": source})
        assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert registry_dirs(auth_server) == before and attacker.versions(name) == []

    def test_a_registered_version_is_still_copied_through_models_uri_with_read_permission(
        self, auth_server, identities, victim, attacker, as_caller, tmp_path: Path
    ) -> None:
        # models:/<name>/<version> is how one version's files are registered again: allowed to its readers.
        name = attacker.model()
        source = f"models:/{victim.model_name}/1"
        assert_error(_create(attacker, name, source), 403, "PERMISSION_DENIED")
        rm_id = victim.api.ok("GET", "/databricks/registered-models/get",
                              params={"name": victim.model_name})["registered_model_databricks"]["id"]
        identities.grant("registered-models", rm_id, attacker.caller, "CAN_READ")
        client = as_caller(attacker.caller.token)
        assert client.create_model_version(name, source).version == "1"
        local = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path))
        assert (Path(local) / "MLmodel").read_bytes() == SECRET


class TestSourceOutsideTheStore:
    @pytest.mark.parametrize("source", [
        "/etc", "/etc/passwd", "../..", "relative/model", "file:///etc", "file:/etc/passwd",
        "file://localhost/etc", "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://169.254.169.254:80/x", "https://169.254.170.2/v2/credentials", "http://[fd00:ec2::254]/latest",
        "http://metadata.google.internal/computeMetadata/v1/", "http://metadata/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data", "http://2852039166/latest", "http://0xa9fea9fe/latest",
        "http://0251.0376.0251.0376/latest", "http://127.0.0.1:9000/x", "http://localhost/x", "http://[::1]/x",
        "http://0.0.0.0/x", "http://[fe80::1]/x", "ftp://169.254.169.254/x", "http://user@169.254.169.254/x",
        "http://169.254.169.254.nip.io.:80@169.254.169.254/x",
    ])
    def test_local_paths_and_link_local_or_metadata_hosts_are_refused(
        self, auth_server, attacker, as_caller, source
    ) -> None:
        name = attacker.model()
        assert_error(_create(attacker, name, source), 400, "INVALID_PARAMETER_VALUE")
        assert attacker.versions(name) == []

    @pytest.mark.parametrize("source", ["/etc", "file:///etc", "http://169.254.169.254/latest/meta-data/"])
    def test_refused_with_the_mlflow_client_and_with_a_run_id(self, attacker, as_caller, source) -> None:
        run = attacker.run(attacker.experiment())
        name = attacker.model()
        assert _client_error(as_caller, attacker, name, source) == "INVALID_PARAMETER_VALUE"
        assert _client_error(as_caller, attacker, name, source, run_id=run["run_id"]) == "INVALID_PARAMETER_VALUE"

    @pytest.mark.parametrize("source", ["s3://bucket/x", "gs://bucket/models/m", "s3a://bucket/x",
                                        "wasbs://c@acct.blob.core.windows.net/m", "hdfs://namenode:8020/m",
                                        "dbfs:/models/m", "https://models.example.com/m.tar.gz"])
    def test_remote_object_store_uris_stay_references(self, attacker, as_caller, source) -> None:
        client = as_caller(attacker.caller.token)
        name = attacker.model()
        mv = client.create_model_version(name, source)
        assert mv.source == source
        assert client.get_model_version_download_uri(name, mv.version) == source

    def test_a_local_path_inside_the_runs_local_artifact_directory_is_a_reference(
        self, attacker, as_caller, tmp_path: Path
    ) -> None:
        # As the official server: a local source needs the run_id of a run whose (local) artifact directory
        # contains it. The server never reads it; get-download-uri hands it back to the client.
        client = as_caller(attacker.caller.token)
        eid = client.create_experiment(f"local-{uuid.uuid4().hex[:8]}", artifact_location=str(tmp_path))
        run = client.create_run(eid)
        name = attacker.model()
        source = f"{run.info.artifact_uri}/model"
        mv = client.create_model_version(name, source, run_id=run.info.run_id)
        assert client.get_model_version_download_uri(name, mv.version) == source
        resp = _create(attacker, name, source)
        body = assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert "To use a local path as a model version source" in body["message"]
        other = attacker.run(attacker.experiment())
        assert_error(_create(attacker, name, source, run_id=other["run_id"]), 400, "INVALID_PARAMETER_VALUE")
