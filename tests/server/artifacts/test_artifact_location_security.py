"""experiments/create's artifact_location as an attacker's tool: a location inside the store is parsed and
normalised once (no query, fragment, `..` or empty segments), must lie in a directory its creator may write,
and is never the registry's own storage or the whole store. Relative locations become absolute as the
official server makes them. Tested as a non-admin principal with the mlflow client and with raw HTTP."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.registry.registry_permission_helpers import caller_api
from tests.server.registry.source_security_world import (
    Attacker,
    Victim,
    make_attacker,
    make_victim,
    registry_dirs,
)


@pytest.fixture(scope="module")
def victim(identities, auth_server) -> Victim:
    return make_victim(identities, auth_server.url)


@pytest.fixture
def attacker(identities, auth_server) -> Attacker:
    return make_attacker(identities, auth_server.url)


def _name() -> str:
    return f"loc-{uuid.uuid4().hex[:10]}"


def _refused_by_client(as_caller, attacker: Attacker, location: str) -> str:
    client = as_caller(attacker.caller.token)
    with pytest.raises(MlflowException) as err:
        client.create_experiment(_name(), artifact_location=location)
    return str(err.value.error_code)


class TestCreateExperimentArtifactLocation:
    @pytest.mark.parametrize("suffix", ["?", "#", "#frag", "?x=1", "?/../0", "/?", ";", ";x"])
    def test_a_query_or_fragment_never_reaches_another_experiment(
        self, auth_server, victim, attacker, as_caller, suffix
    ) -> None:
        # With `?` the run locations below it (`<location>/<run>/artifacts`) all resolved to the victim's
        # experiment directory, which a version created from the attacker's run then copied.
        location = f"mlflow-artifacts:/{victim.experiment_id}{suffix}"
        resp = attacker.api.call("POST", "/experiments/create", {"name": _name(), "artifact_location": location})
        assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert _refused_by_client(as_caller, attacker, location) == "INVALID_PARAMETER_VALUE"

    @pytest.mark.parametrize("location", [
        "mlflow-artifacts:/{eid}", "mlflow-artifacts:/{eid}/sub", "mlflow-artifacts:///{eid}/sub/",
        "mlflow-artifacts://host:5000/{eid}", "http://h/api/2.0/mlflow-artifacts/artifacts/{eid}/x",
        "mlflow-artifacts:/{eid}%2Fsub",
    ])
    def test_another_experiments_directory_is_denied(self, victim, attacker, as_caller, location) -> None:
        location = location.format(eid=victim.experiment_id)
        resp = attacker.api.call("POST", "/experiments/create", {"name": _name(), "artifact_location": location})
        assert_error(resp, 403, "PERMISSION_DENIED")
        assert _refused_by_client(as_caller, attacker, location) == "PERMISSION_DENIED"

    def test_a_directory_of_ones_own_experiment_is_allowed_and_normalised(self, auth_server, attacker) -> None:
        eid = attacker.experiment()
        created = attacker.experiment(f"mlflow-artifacts:///{eid}/nested/")
        got = attacker.api.ok("GET", "/experiments/get", params={"experiment_id": created})["experiment"]
        assert got["artifact_location"] == f"mlflow-artifacts:/{eid}/nested"
        # The attacker can log to it: the files belong to the attacker's own experiment.
        run = attacker.run(created)
        assert run["artifact_uri"] == f"mlflow-artifacts:/{eid}/nested/{run['run_id']}/artifacts"
        r = attacker.api.http.put(f"/api/2.0/mlflow-artifacts/artifacts/{eid}/nested/{run['run_id']}/artifacts/f",
                                  content=b"x")
        assert r.status_code == 200, r.text

    @pytest.mark.parametrize("location", [
        "mlflow-artifacts:/_registry", "mlflow-artifacts:/_registry?", "mlflow-artifacts:/_registry/",
        "mlflow-artifacts:/_registry/x", "mlflow-artifacts:/%5Fregistry", "mlflow-artifacts:/",
        "mlflow-artifacts:", "mlflow-artifacts:///", "http://h/api/2.0/mlflow-artifacts/artifacts/_registry",
        "http://h/api/2.0/mlflow-artifacts/artifacts",
    ])
    @pytest.mark.parametrize("who", ["attacker", "admin"])
    def test_the_registry_storage_and_the_whole_store_are_refused_even_for_admins(
        self, auth_server, attacker, location, who
    ) -> None:
        api = attacker.api if who == "attacker" else caller_api(auth_server.url, ADMIN_TOKEN)
        before = registry_dirs(auth_server)
        resp = api.call("POST", "/experiments/create", {"name": _name(), "artifact_location": location})
        assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert registry_dirs(auth_server) == before

    @pytest.mark.parametrize("location", [
        "mlflow-artifacts:/a/../b", "mlflow-artifacts:/a/%2e%2e/b", "mlflow-artifacts:/a/%252e%252e/b",
        "mlflow-artifacts:/a//b", "mlflow-artifacts:/a/./b", "mlflow-artifacts:/a\\b", "mlflow-artifacts:/a%00b",
        "mlflow-artifacts:/a%5C..%5Cb", "../outside", "s3://bucket/a/../b", "s3://bucket/a/%252e%252e/b", "s3://b/x?y=..%2F", "runs:/abc/artifacts",
        "s3://bucket/x#frag",
    ])
    def test_malformed_locations_are_refused(self, attacker, location) -> None:
        resp = attacker.api.call("POST", "/experiments/create", {"name": _name(), "artifact_location": location})
        assert_error(resp, 400, "INVALID_PARAMETER_VALUE")

    def test_a_relative_location_is_made_absolute_like_the_official_server(self, attacker, as_caller) -> None:
        # tests/tracking/test_rest_tracking.py::test_create_get_search_experiment in MLflow: the server
        # resolves a relative location against its working directory (the tests start it in theirs).
        client = as_caller(attacker.caller.token)
        experiment_id = client.create_experiment(_name(), artifact_location="my_location",
                                                 tags={"key1": "val1", "key2": "val2"})
        exp = client.get_experiment(experiment_id)
        assert exp.artifact_location == str(Path.cwd().joinpath("my_location"))
        assert exp.tags == {"key1": "val1", "key2": "val2"}
        # A path on the client's disk is the client's to write: the server never serves or copies it.
        run = client.create_run(experiment_id)
        assert run.info.artifact_uri == f"{Path.cwd() / 'my_location'}/{run.info.run_id}/artifacts"

    def test_a_relative_file_uri_is_made_absolute(self, attacker) -> None:
        eid = attacker.experiment("file:my_location")
        got = attacker.api.ok("GET", "/experiments/get", params={"experiment_id": eid})["experiment"]
        assert got["artifact_location"] == f"file://{Path.cwd() / 'my_location'}"

    @pytest.mark.parametrize("location", ["s3://bucket/prefix", "gs://b/p", "/abs/path/on/the/client",
                                          "file:///abs/path"])
    def test_locations_outside_the_store_are_kept(self, attacker, location) -> None:
        eid = attacker.experiment(location)
        got = attacker.api.ok("GET", "/experiments/get", params={"experiment_id": eid})["experiment"]
        assert got["artifact_location"] == location
