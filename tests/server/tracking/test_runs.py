"""MLflow runs API (create, get, update, delete/restore, params, tags, log-batch, inputs/outputs) on a live server."""

from __future__ import annotations

import re

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunStatus, RunTag

from tests.fixtures.wire import API, assert_error


@pytest.fixture
def experiment_id(mlflow_client, unique: str) -> str:
    return mlflow_client.create_experiment(f"runs-{unique}")


@pytest.fixture
def run_id(mlflow_client, experiment_id: str) -> str:
    return mlflow_client.create_run(experiment_id).info.run_id


def post(server_url: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server_url}{API}/{path}", json=body)


class TestCreateRun:
    def test_run_fields(self, mlflow_client, experiment_id: str) -> None:
        run = mlflow_client.create_run(experiment_id, run_name="first", tags={"t": "v"})
        info = run.info
        assert re.fullmatch(r"[0-9a-f]{32}", info.run_id)
        assert info.run_name == "first"
        assert info.status == "RUNNING" and info.lifecycle_stage == "active"
        assert info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{info.run_id}/artifacts"
        assert run.data.tags["mlflow.runName"] == "first" and run.data.tags["t"] == "v"

    def test_generated_name_when_none_given(self, mlflow_client, experiment_id: str) -> None:
        run = mlflow_client.create_run(experiment_id)
        assert run.info.run_name and run.data.tags["mlflow.runName"] == run.info.run_name

    def test_wire_carries_run_id_and_run_uuid(self, server_url: str, experiment_id: str) -> None:
        r = post(server_url, "runs/create", {"experiment_id": experiment_id, "start_time": 123})
        info = r.json()["run"]["info"]
        assert info["run_id"] == info["run_uuid"] and info["start_time"] == 123
        run = r.json()["run"]
        assert run["inputs"] == {"dataset_inputs": [], "model_inputs": []}
        assert run["outputs"] == {"model_outputs": []}

    def test_missing_experiment_is_404(self, server_url: str) -> None:
        assert_error(
            post(server_url, "runs/create", {"experiment_id": "7777777"}), 404, "RESOURCE_DOES_NOT_EXIST"
        )

    def test_deleted_experiment_is_rejected(self, server_url: str, mlflow_client, experiment_id: str) -> None:
        mlflow_client.delete_experiment(experiment_id)
        assert_error(
            post(server_url, "runs/create", {"experiment_id": experiment_id}), 400, "INVALID_PARAMETER_VALUE"
        )


class TestGetRun:
    def test_missing_run_is_404(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}{API}/runs/get", params={"run_id": "0" * 32})
        body = assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        assert "not found" in body["message"]

    def test_legacy_run_uuid_is_accepted(self, server_url: str, run_id: str) -> None:
        r = httpx.get(f"{server_url}{API}/runs/get", params={"run_uuid": run_id})
        assert r.json()["run"]["info"]["run_id"] == run_id

    def test_deleted_run_is_still_returned(self, mlflow_client, run_id: str) -> None:
        mlflow_client.delete_run(run_id)
        assert mlflow_client.get_run(run_id).info.lifecycle_stage == "deleted"


class TestUpdateRun:
    def test_terminate_and_rename(self, mlflow_client, run_id: str) -> None:
        mlflow_client.set_terminated(run_id, status="FAILED", end_time=1234)
        mlflow_client.update_run(run_id, name="renamed")
        run = mlflow_client.get_run(run_id)
        assert run.info.status == "FAILED" and run.info.end_time == 1234
        assert run.info.run_name == "renamed" and run.data.tags["mlflow.runName"] == "renamed"

    def test_response_is_run_info(self, server_url: str, run_id: str) -> None:
        r = post(server_url, "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 5})
        assert r.json()["run_info"]["status"] == "FINISHED"
        assert r.json()["run_info"]["run_id"] == run_id

    def test_bad_status_is_400(self, server_url: str, run_id: str) -> None:
        assert_error(
            post(server_url, "runs/update", {"run_id": run_id, "status": "SLEEPING"}),
            400,
            "INVALID_PARAMETER_VALUE",
        )


class TestDeleteRestoreRun:
    def test_round_trip(self, mlflow_client, run_id: str) -> None:
        mlflow_client.delete_run(run_id)
        mlflow_client.restore_run(run_id)
        assert mlflow_client.get_run(run_id).info.lifecycle_stage == "active"

    def test_writes_to_deleted_run_are_refused(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.delete_run(run_id)
        for path, body in [
            ("runs/log-parameter", {"key": "p", "value": "1"}),
            ("runs/set-tag", {"key": "t", "value": "1"}),
            ("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
            ("runs/log-batch", {"params": [{"key": "p", "value": "1"}]}),
        ]:
            r = post(server_url, path, {"run_id": run_id, **body})
            body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
            assert f"The run {run_id} must be in the 'active' state" in body["message"]

    def test_delete_missing_is_404(self, server_url: str) -> None:
        assert_error(post(server_url, "runs/delete", {"run_id": "f" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")


class TestLogParam:
    def test_same_value_twice_is_fine(self, mlflow_client, run_id: str) -> None:
        mlflow_client.log_param(run_id, "alpha", "0.5")
        mlflow_client.log_param(run_id, "alpha", "0.5")
        assert mlflow_client.get_run(run_id).data.params == {"alpha": "0.5"}

    def test_changing_value_is_400(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.log_param(run_id, "alpha", "0.5")
        r = post(server_url, "runs/log-parameter", {"run_id": run_id, "key": "alpha", "value": "0.6"})
        body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert "Changing param values is not allowed" in body["message"]

    def test_changing_value_in_batch_is_400(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.log_param(run_id, "alpha", "0.5")
        r = post(server_url, "runs/log-batch", {"run_id": run_id, "params": [{"key": "alpha", "value": "9"}]})
        assert (
            "Changing param values is not allowed"
            in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]
        )

    @pytest.mark.parametrize("key", ["../x", "a" * 251, "bad*char", ""])
    def test_invalid_keys_are_400(self, server_url: str, run_id: str, key: str) -> None:
        r = post(server_url, "runs/log-parameter", {"run_id": run_id, "key": key, "value": "1"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_long_value_is_truncated_like_mlflow(self, server_url: str, mlflow_client, run_id: str) -> None:
        r = post(server_url, "runs/log-parameter", {"run_id": run_id, "key": "long", "value": "x" * 6100})
        assert r.status_code == 200
        assert len(mlflow_client.get_run(run_id).data.params["long"]) == 6000


class TestTags:
    def test_set_overwrite_delete(self, mlflow_client, run_id: str) -> None:
        mlflow_client.set_tag(run_id, "k", "1")
        mlflow_client.set_tag(run_id, "k", "2")
        assert mlflow_client.get_run(run_id).data.tags["k"] == "2"
        mlflow_client.delete_tag(run_id, "k")
        assert "k" not in mlflow_client.get_run(run_id).data.tags

    def test_delete_missing_tag(self, server_url: str, run_id: str) -> None:
        r = post(server_url, "runs/delete-tag", {"run_id": run_id, "key": "fakeTag"})
        body = assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        assert "No tag with name: fakeTag" in body["message"]

    def test_run_name_tag_renames_run(self, mlflow_client, run_id: str) -> None:
        mlflow_client.set_tag(run_id, "mlflow.runName", "via-tag")
        assert mlflow_client.get_run(run_id).info.run_name == "via-tag"


class TestLogBatch:
    def test_metrics_params_tags(self, mlflow_client, run_id: str) -> None:
        mlflow_client.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 10, 0), Metric("m", 2.0, 11, 1), Metric("n", 5.0, 10, 0)],
            params=[Param("p", "x")],
            tags=[RunTag("t", "y")],
        )
        data = mlflow_client.get_run(run_id).data
        assert data.metrics == {"m": 2.0, "n": 5.0}
        assert data.params == {"p": "x"} and data.tags["t"] == "y"

    def test_identical_metric_rows_are_idempotent(self, mlflow_client, run_id: str) -> None:
        rows = [Metric("m", 1.0, 10, 0), Metric("m", 2.0, 11, 1)]
        mlflow_client.log_batch(run_id, metrics=rows)
        mlflow_client.log_batch(run_id, metrics=rows)
        assert [m.value for m in mlflow_client.get_metric_history(run_id, "m")] == [1.0, 2.0]

    @pytest.mark.parametrize(
        "metrics, params, tags",
        [(1001, 0, 0), (0, 101, 0), (0, 0, 101), (901, 100, 0)],
    )
    def test_limits_are_400(self, server_url: str, run_id: str, metrics: int, params: int, tags: int) -> None:
        body = {
            "run_id": run_id,
            "metrics": [{"key": f"m{i}", "value": 1, "timestamp": 1, "step": 0} for i in range(metrics)],
            "params": [{"key": f"p{i}", "value": "1"} for i in range(params)],
            "tags": [{"key": f"t{i}", "value": "1"} for i in range(tags)],
        }
        body = assert_error(post(server_url, "runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE")
        assert "A batch logging request can contain at most" in body["message"]

    def test_full_sized_batch_is_accepted(self, mlflow_client, run_id: str) -> None:
        metrics = [Metric(f"m{i % 100}", float(i), 1, i // 100) for i in range(900)]
        params = [Param(f"p{i}", str(i)) for i in range(100)]
        mlflow_client.log_batch(run_id, metrics=metrics, params=params)
        data = mlflow_client.get_run(run_id).data
        assert len(data.metrics) == 100 and data.metrics["m0"] == 800.0 and len(data.params) == 100

    def test_duplicate_param_keys_are_400(self, server_url: str, run_id: str) -> None:
        body = {"run_id": run_id, "params": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]}
        assert_error(post(server_url, "runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE")


class TestLogInputsOutputs:
    def test_log_input_dataset_round_trip(self, mlflow_client, experiment_id: str) -> None:
        df = pd.DataFrame({"a": [1, 2, 3], "b": [0.1, 0.2, 0.3]})
        dataset = mlflow.data.from_pandas(df, name="train-df")
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_input(dataset, context="training")
            mlflow.log_input(dataset, context="training")
        inputs = mlflow_client.get_run(run.info.run_id).inputs.dataset_inputs
        assert len(inputs) == 1
        got = inputs[0]
        assert got.dataset.name == "train-df" and got.dataset.digest == dataset.digest
        expected = dataset._to_mlflow_entity()
        assert got.dataset.source_type == expected.source_type and got.dataset.source == expected.source
        assert got.dataset.schema == expected.schema and got.dataset.profile == expected.profile
        assert {t.key: t.value for t in got.tags} == {"mlflow.data.context": "training"}

    def test_model_inputs_and_outputs(self, server_url: str, mlflow_client, run_id: str) -> None:
        assert (
            post(
                server_url, "runs/log-inputs", {"run_id": run_id, "models": [{"model_id": "m-1"}]}
            ).status_code
            == 200
        )
        r = post(server_url, "runs/outputs", {"run_id": run_id, "models": [{"model_id": "m-2", "step": 3}]})
        assert r.status_code == 200
        run = httpx.get(f"{server_url}{API}/runs/get", params={"run_id": run_id}).json()["run"]
        assert run["inputs"]["model_inputs"] == [{"model_id": "m-1"}]
        assert run["outputs"]["model_outputs"] == [{"model_id": "m-2", "step": 3}]

    def test_dataset_without_digest_is_400(self, server_url: str, run_id: str) -> None:
        body = {
            "run_id": run_id,
            "datasets": [{"dataset": {"name": "x", "source_type": "code", "source": "{}"}}],
        }
        assert_error(post(server_url, "runs/log-inputs", body), 400, "INVALID_PARAMETER_VALUE")


class TestFluentFlows:
    def test_start_run_log_params_metrics(self, mlflow_client, experiment_id: str) -> None:
        with mlflow.start_run(experiment_id=experiment_id, run_name="fluent") as run:
            mlflow.log_params({"lr": 0.1, "layers": 3})
            mlflow.log_metrics({"acc": 0.9, "loss": 0.2}, step=1)
            mlflow.log_metric("acc", 0.95, step=2)
            mlflow.set_tags({"stage": "dev"})
        got = mlflow_client.get_run(run.info.run_id)
        assert got.info.status == RunStatus.to_string(RunStatus.FINISHED)
        assert got.info.end_time is not None
        assert got.data.params == {"lr": "0.1", "layers": "3"}
        assert got.data.metrics == {"acc": 0.95, "loss": 0.2}
        assert got.data.tags["stage"] == "dev"

    def test_default_experiment_run(self, mlflow_client) -> None:
        mlflow.set_experiment(experiment_id="0")
        with mlflow.start_run() as run:
            mlflow.log_param("x", "1")
        assert mlflow_client.get_run(run.info.run_id).info.experiment_id == "0"


class TestCreatePromptlabRun:
    URL = "/ajax-api/2.0/mlflow/runs/create-promptlab-run"
    BODY = {
        "prompt_template": "Answer: {{ question }}",
        "prompt_parameters": [{"key": "question", "value": "why?"}],
        "model_route": "chat",
        "model_parameters": [{"key": "temperature", "value": "0.1"}],
        "model_input": "Answer: why?",
        "model_output": "because",
        "model_output_parameters": [{"key": "latency", "value": "100"}],
        "mlflow_version": "3.17.2",
    }

    def test_a_finished_run_with_the_prompt_its_table_and_model(
        self, server_url: str, mlflow_client, unique: str
    ) -> None:
        eid = mlflow_client.create_experiment(f"promptlab-{unique}")
        body = {**self.BODY, "experiment_id": eid, "run_name": "p1", "user_id": "ann", "start_time": 456}
        r = httpx.post(f"{server_url}{self.URL}", json=body)
        assert r.status_code == 200, r.text
        run = r.json()["run"]
        assert (run["info"]["run_name"], run["info"]["user_id"], run["info"]["status"], run["info"]["start_time"]) == (
            "p1", "ann", "FINISHED", 456)
        params = {p["key"]: p["value"] for p in run["data"]["params"]}
        assert params == {"temperature": "0.1", "model_route": "chat", "prompt_template": "Answer: {{ question }}"}
        tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
        assert tags["mlflow.loggedArtifacts"] == '[{"path": "eval_results_table.json", "type": "table"}]'
        assert tags["mlflow.runSourceType"] == "PROMPT_ENGINEERING"
        run_id = run["info"]["run_id"]
        mlflow.set_tracking_uri(server_url)
        table = mlflow_client.load_table(eid, "eval_results_table.json", run_ids=[run_id])
        # pandas reads the table's "100" back as a number, as it does for MLflow's own file.
        assert table.to_dict("records") == [
            {"question": "why?", "prompt": "Answer: why?", "output": "because", "latency": 100}]
        model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
        assert model.metadata.get_input_schema().input_names() == ["question"]
        inner = model._model_impl  # the promptlab flavor's model, built from parameters.yaml
        assert (inner.prompt_template, inner.model_route) == ("Answer: {{ question }}", "chat")

    @pytest.mark.parametrize("missing", ["experiment_id", "prompt_template", "prompt_parameters", "model_route",
                                         "model_input", "mlflow_version"])
    def test_required_fields_in_mlflow_words(self, server_url: str, mlflow_client, unique: str, missing: str) -> None:
        body = {**self.BODY, "experiment_id": mlflow_client.create_experiment(f"promptlab-bad-{unique}")}
        del body[missing]
        err = assert_error(httpx.post(f"{server_url}{self.URL}", json=body), 400, "INVALID_PARAMETER_VALUE")
        assert err["message"] == f"CreatePromptlabRun request must specify {missing}."
