"""MLflow 3 logged models (create, get, finalize, search, tags, params, delete) on a live server."""

from __future__ import annotations

import re

import httpx
import mlflow
import pytest
from mlflow.entities import LoggedModelStatus, Metric

from tests.fixtures.wire import API, assert_error


@pytest.fixture
def experiment_id(mlflow_client, unique: str) -> str:
    return mlflow_client.create_experiment(f"lm-{unique}")


class TestCreateLoggedModel:
    def test_fields(self, mlflow_client, experiment_id: str) -> None:
        run = mlflow_client.create_run(experiment_id)
        model = mlflow_client.create_logged_model(
            experiment_id,
            name="model",
            source_run_id=run.info.run_id,
            params={"a": "1"},
            tags={"t": "v"},
            model_type="sklearn",
        )
        assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
        assert (
            model.artifact_location == f"mlflow-artifacts:/{experiment_id}/models/{model.model_id}/artifacts"
        )
        assert model.status == LoggedModelStatus.PENDING
        assert model.params == {"a": "1"} and model.tags == {"t": "v"}
        assert model.source_run_id == run.info.run_id and model.model_type == "sklearn"

    def test_missing_experiment_is_404(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}{API}/logged-models", json={"experiment_id": "8888888"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_name_is_generated_when_missing(self, mlflow_client, experiment_id: str) -> None:
        assert mlflow_client.create_logged_model(experiment_id).name


class TestGetFinalizeDelete:
    def test_finalize_then_get(self, mlflow_client, experiment_id: str) -> None:
        model = mlflow_client.create_logged_model(experiment_id, name="m")
        done = mlflow_client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        assert done.status == LoggedModelStatus.READY
        assert mlflow_client.get_logged_model(model.model_id).status == LoggedModelStatus.READY

    def test_bad_status_is_400(self, server_url: str, mlflow_client, experiment_id: str) -> None:
        model = mlflow_client.create_logged_model(experiment_id)
        r = httpx.patch(f"{server_url}{API}/logged-models/{model.model_id}", json={"status": "DONE"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_missing_is_404(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}{API}/logged-models/m-{'0' * 32}")
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_deleted_is_hidden_unless_allowed(
        self, server_url: str, mlflow_client, experiment_id: str
    ) -> None:
        model = mlflow_client.create_logged_model(experiment_id)
        mlflow_client.delete_logged_model(model.model_id)
        url = f"{server_url}{API}/logged-models/{model.model_id}"
        assert_error(httpx.get(url), 404, "RESOURCE_DOES_NOT_EXIST")
        assert (
            httpx.get(url, params={"allow_deleted": "true"}).json()["model"]["info"]["model_id"]
            == model.model_id
        )

    def test_metrics_logged_with_model_id(self, mlflow_client, experiment_id: str) -> None:
        run = mlflow_client.create_run(experiment_id)
        model = mlflow_client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
        rows = [Metric("acc", 0.9, 1, 0, model_id=model.model_id, dataset_name="d", dataset_digest="x")]
        mlflow_client.log_batch(run.info.run_id, metrics=rows)
        mlflow_client.log_batch(run.info.run_id, metrics=rows)
        got = mlflow_client.get_logged_model(model.model_id).metrics
        assert [(m.key, m.value, m.run_id, m.dataset_name) for m in got] == [
            ("acc", 0.9, run.info.run_id, "d")
        ]


class TestTagsAndParams:
    def test_set_and_delete_tags(self, mlflow_client, experiment_id: str) -> None:
        model = mlflow_client.create_logged_model(experiment_id)
        mlflow_client.set_logged_model_tags(model.model_id, {"a": "1", "b/c": "2"})
        assert mlflow_client.get_logged_model(model.model_id).tags == {"a": "1", "b/c": "2"}
        mlflow_client.delete_logged_model_tag(model.model_id, "b/c")
        assert mlflow_client.get_logged_model(model.model_id).tags == {"a": "1"}

    def test_delete_tag_with_slash_in_raw_path(
        self, server_url: str, mlflow_client, experiment_id: str
    ) -> None:
        model = mlflow_client.create_logged_model(experiment_id, tags={"x/y/z": "1"})
        r = httpx.delete(f"{server_url}{API}/logged-models/{model.model_id}/tags/x/y/z")
        assert r.status_code == 200
        assert mlflow_client.get_logged_model(model.model_id).tags == {}

    def test_delete_missing_tag_is_404(self, server_url: str, mlflow_client, experiment_id: str) -> None:
        model = mlflow_client.create_logged_model(experiment_id)
        r = httpx.delete(f"{server_url}{API}/logged-models/{model.model_id}/tags/nope")
        body = assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        # The official server's words (its store quotes both with repr()).
        assert body["message"] == f"No tag with key 'nope' found for model with ID '{model.model_id}'."

    def test_log_params(self, mlflow_client, experiment_id: str) -> None:
        model = mlflow_client.create_logged_model(experiment_id)
        mlflow_client.log_model_params(model.model_id, {f"p{i}": str(i) for i in range(150)})
        assert len(mlflow_client.get_logged_model(model.model_id).params) == 150


class TestSearchLoggedModels:
    def test_filters_and_order(self, mlflow_client, experiment_id: str) -> None:
        run = mlflow_client.create_run(experiment_id)
        made = []
        for i, acc in enumerate([0.5, 0.9, 0.7]):
            m = mlflow_client.create_logged_model(
                experiment_id,
                name=f"model-{i}",
                params={"lr": str(i)},
                tags={"k": "even" if i % 2 == 0 else "odd"},
            )
            mlflow_client.log_batch(
                run.info.run_id,
                metrics=[
                    Metric("acc", acc, 1, 0, model_id=m.model_id, dataset_name="val", dataset_digest="d1")
                ],
            )
            made.append(m.model_id)

        def ids(**kw) -> list[str]:
            return [
                m.model_id for m in mlflow_client.search_logged_models(experiment_ids=[experiment_id], **kw)
            ]

        assert ids() == list(reversed(made))
        assert ids(filter_string="name = 'model-1'") == [made[1]]
        assert set(ids(filter_string="name LIKE 'model-%' AND tags.k = 'even'")) == {made[0], made[2]}
        assert ids(filter_string="params.lr = '2'") == [made[2]]
        assert set(ids(filter_string="metrics.acc > 0.6")) == {made[1], made[2]}
        assert ids(filter_string="metrics.acc > 0.6", datasets=[{"dataset_name": "other"}]) == []
        assert ids(order_by=[{"field_name": "metrics.acc", "ascending": False}]) == [
            made[1],
            made[2],
            made[0],
        ]
        assert ids(order_by=[{"field_name": "name", "ascending": True}]) == made

    def test_paging(self, mlflow_client, experiment_id: str) -> None:
        made = {mlflow_client.create_logged_model(experiment_id).model_id for _ in range(5)}
        seen, token = [], None
        while True:
            page = mlflow_client.search_logged_models(
                experiment_ids=[experiment_id], max_results=2, page_token=token
            )
            seen += [m.model_id for m in page]
            token = page.token
            if not token:
                break
        assert len(seen) == 5 and set(seen) == made

    def test_deleted_models_are_excluded(self, mlflow_client, experiment_id: str) -> None:
        m = mlflow_client.create_logged_model(experiment_id)
        mlflow_client.delete_logged_model(m.model_id)
        assert mlflow_client.search_logged_models(experiment_ids=[experiment_id]) == []

    @pytest.mark.parametrize("flt", ["bogus = 'x'", "name = 'a' OR name = 'b'", "metrics.acc > 'x'"])
    def test_bad_filter_is_400(self, server_url: str, experiment_id: str, flt: str) -> None:
        r = httpx.post(
            f"{server_url}{API}/logged-models/search", json={"experiment_ids": [experiment_id], "filter": flt}
        )
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_bad_token_is_400(self, server_url: str, experiment_id: str) -> None:
        r = httpx.post(
            f"{server_url}{API}/logged-models/search",
            json={"experiment_ids": [experiment_id], "page_token": "%%%"},
        )
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestFluentModelFlow:
    def test_initialize_logged_model_links_run_output(self, mlflow_client, experiment_id: str) -> None:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            model = mlflow.initialize_logged_model(name="fluent-model")
            mlflow_client.log_outputs(run.info.run_id, [mlflow.entities.LoggedModelOutput(model.model_id, 0)])
        got = mlflow_client.get_run(run.info.run_id)
        assert [o.model_id for o in got.outputs.model_outputs] == [model.model_id]
        found = mlflow_client.search_logged_models(
            experiment_ids=[experiment_id], filter_string="name = 'fluent-model'"
        )
        assert [m.model_id for m in found] == [model.model_id]
