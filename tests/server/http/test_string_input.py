"""String fields: NUL characters are a 400 on both backends (PostgreSQL cannot store them), and a value of
the wrong JSON type is MLflow's 400 with MLflow's wording, never coerced."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.wire import assert_error
from tests.server.http.bad_input_world import World, build_world

NUL = "a\x00b"


@pytest.fixture(scope="module")
def world(live_server) -> World:
    w = build_world(live_server.url, uuid.uuid4().hex[:10])
    yield w
    w.client.close()


def refused_for_nul(r, field: str) -> None:
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert f"parameter '{field}'" in body["message"] and "NUL" in body["message"], body


class TestNulInRequestBodies:
    def test_experiment_name_is_refused_and_nothing_is_created(self, world: World) -> None:
        name = f"nul-{uuid.uuid4().hex[:8]}{NUL}"
        refused_for_nul(world.post("/experiments/create", {"name": name}), "name")
        assert not any("\x00" in n for n in world.experiment_names())

    @pytest.mark.parametrize(("path", "field", "extra"), [
        ("/runs/log-parameter", "value", {"key": "p"}),
        ("/runs/log-parameter", "key", {"value": "v"}),
        ("/runs/set-tag", "value", {"key": "t"}),
        ("/runs/set-tag", "key", {"value": "v"}),
    ])
    def test_run_params_and_tags_are_refused_and_not_stored(
        self, world: World, path: str, field: str, extra: dict
    ) -> None:
        refused_for_nul(world.post(path, {"run_id": world.run_id, **extra, field: NUL}), field)
        data = world.get("/runs/get", run_id=world.run_id).json()["run"]["data"]
        assert not data.get("params") and not [t for t in data.get("tags", []) if t["key"] in ("p", "t")]

    def test_nested_batch_field_names_its_path(self, world: World) -> None:
        body = {"run_id": world.run_id, "params": [{"key": "ok", "value": "1"}, {"key": "p2", "value": NUL}]}
        refused_for_nul(world.post("/runs/log-batch", body), "params.1.value")
        assert not world.get("/runs/get", run_id=world.run_id).json()["run"]["data"].get("params")

    @pytest.mark.parametrize("field", ["description", "source"])
    def test_model_version_fields_are_refused(self, world: World, field: str) -> None:
        body = {"name": world.model, "source": "s3://bucket/m", field: f"s3://bucket/{NUL}"}
        refused_for_nul(world.post("/model-versions/create", body), field)
        versions = world.get("/model-versions/search", filter=f"name = '{world.model}'").json()
        assert len(versions["model_versions"]) == 3

    def test_registered_model_name_is_refused(self, world: World) -> None:
        refused_for_nul(world.post("/registered-models/create", {"name": f"rm-{NUL}"}), "name")

    def test_search_filter_is_refused(self, world: World) -> None:
        body = {"experiment_ids": [world.experiment_id], "filter": "params.x = '\x00'"}
        refused_for_nul(world.post("/runs/search", body), "filter")


class TestNulInQueryParameters:
    @pytest.mark.parametrize(("path", "params", "field"), [
        ("/runs/get", {"run_id": NUL}, "run_id"),
        ("/experiments/get-by-name", {"experiment_name": NUL}, "experiment_name"),
        ("/registered-models/get", {"name": NUL}, "name"),
        ("/registered-models/alias", {"name": "m", "alias": NUL}, "alias"),
        ("/experiments/search", {"filter": "name = '\x00'"}, "filter"),
        ("/model-versions/search", {"filter": "name = '\x00'"}, "filter"),
    ])
    def test_query_parameter_is_refused(self, world: World, path: str, params: dict, field: str) -> None:
        refused_for_nul(world.get(path, **params), field)

    def test_logged_model_path_parameter_is_refused(self, world: World) -> None:
        r = world.client.get("/api/2.0/mlflow/logged-models/m-%00")
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestWrongJsonTypes:
    """MLflow's server answers these with a 400 whose wording clients and docs quote."""

    @pytest.mark.parametrize(("value", "shown", "type_name"), [
        (123, "123", "int"), (True, "true", "bool"), (["a"], '["a"]', "list"), (1.5, "1.5", "float"),
    ])
    def test_create_experiment_name(self, world: World, value: object, shown: str, type_name: str) -> None:
        body = assert_error(world.post("/experiments/create", {"name": value}), 400, "INVALID_PARAMETER_VALUE")
        assert body["message"] == (
            f"Invalid value {shown} for parameter 'name' supplied:  Hint: Value was of type '{type_name}'. "
            "See the API docs for more information about request parameters."
        )

    def test_numeric_name_creates_no_experiment(self, world: World) -> None:
        number = int(uuid.uuid4().int % 10**12)
        world.post("/experiments/create", {"name": number})
        assert str(number) not in world.experiment_names()

    def test_create_experiment_artifact_location(self, world: World) -> None:
        r = world.post("/experiments/create", {"name": f"x-{uuid.uuid4().hex[:8]}", "artifact_location": 9.0})
        body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert body["message"].startswith("Invalid value 9.0 for parameter 'artifact_location' supplied:  Hint:")

    @pytest.mark.parametrize("path", ["/runs/log-parameter", "/runs/set-tag"])
    def test_numeric_run_id(self, world: World, path: str) -> None:
        body = assert_error(world.post(path, {"run_id": 31, "key": "k", "value": "v"}), 400, "INVALID_PARAMETER_VALUE")
        assert body["message"].startswith("Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'.")

    def test_numeric_registered_model_name(self, world: World) -> None:
        body = assert_error(world.post("/registered-models/create", {"name": 123}), 400, "INVALID_PARAMETER_VALUE")
        assert "parameter 'name'" in body["message"]
        assert world.get("/registered-models/get", name="123").status_code == 404

    def test_numeric_tag_value_in_batch(self, world: World) -> None:
        body = {"run_id": world.run_id, "tags": [{"key": "t", "value": 5}]}
        message = assert_error(world.post("/runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE")["message"]
        assert "parameter 'tags.0.value'" in message


class TestColumnLengths:
    """Values longer than their column: the same 400 on SQLite (which would store them) and PostgreSQL."""

    def test_experiment_artifact_location(self, world: World) -> None:
        name = f"long-location-{uuid.uuid4().hex[:8]}"
        r = world.post("/experiments/create", {"name": name, "artifact_location": "s3://b/" + "x" * 2000})
        assert "Invalid artifact path length" in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]
        assert name not in world.experiment_names()

    @pytest.mark.parametrize(("field", "length"), [("run_name", 251), ("user_id", 257)])
    def test_create_run(self, world: World, field: str, length: int) -> None:
        before = len(world.post("/runs/search", {"experiment_ids": [world.experiment_id]}).json()["runs"])
        r = world.post("/runs/create", {"experiment_id": world.experiment_id, field: "r" * length})
        assert f"'{field}' exceeds the maximum length" in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]
        after = len(world.post("/runs/search", {"experiment_ids": [world.experiment_id]}).json()["runs"])
        assert after == before

    @pytest.mark.parametrize(("path", "body"), [
        ("/runs/update", {"run_name": "r" * 251}),
        ("/runs/set-tag", {"key": "mlflow.runName", "value": "r" * 251}),
        ("/runs/log-batch", {"tags": [{"key": "mlflow.runName", "value": "r" * 251}]}),
    ])
    def test_renaming_a_run(self, world: World, path: str, body: dict) -> None:
        name = world.get("/runs/get", run_id=world.run_id).json()["run"]["info"]["run_name"]
        assert_error(world.post(path, {"run_id": world.run_id, **body}), 400, "INVALID_PARAMETER_VALUE")
        assert world.get("/runs/get", run_id=world.run_id).json()["run"]["info"]["run_name"] == name

    def test_logged_model_name(self, world: World) -> None:
        r = world.post("/logged-models", {"experiment_id": world.experiment_id, "name": "m" * 501})
        assert "'name' exceeds the maximum length" in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]
