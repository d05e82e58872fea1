"""Evaluation datasets through the real mlflow client: create, get, search, tags, delete, experiment links."""

from __future__ import annotations

import re

import httpx
import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.wire import assert_error

API3 = "/api/3.0/mlflow"


@pytest.fixture
def experiments(mlflow_client, unique: str) -> list[str]:
    return [mlflow_client.create_experiment(f"ds-{unique}-{i}") for i in range(3)]


def names(datasets) -> list[str]:
    return [d.name for d in datasets]


class TestCreateAndGet:
    def test_fields_round_trip(self, mlflow_client, experiments: list[str], unique: str) -> None:
        created = mlflow_client.create_dataset(
            name=f"qa-{unique}", experiment_id=experiments[:2], tags={"env": "test", "version": "1"}
        )
        assert re.fullmatch(r"d-[0-9a-f]{32}", created.dataset_id)
        assert sorted(created.experiment_ids) == sorted(experiments[:2])
        assert created.tags["env"] == "test" and created.tags["version"] == "1"
        assert created.digest and created.created_time > 0
        got = mlflow_client.get_dataset(created.dataset_id)
        assert (got.name, got.tags, got.digest) == (created.name, created.tags, created.digest)
        assert sorted(got.experiment_ids) == sorted(experiments[:2])

    def test_unknown_experiment_is_404_and_creates_nothing(self, mlflow_client, server_url: str, unique: str) -> None:
        r = httpx.post(f"{server_url}{API3}/datasets/create", json={"name": f"ghost-{unique}", "experiment_ids": ["987654"]})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        assert mlflow_client.search_datasets(filter_string=f"name = 'ghost-{unique}'") == []

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({}, 400),  # name is required
            ({"name": "x", "tags": "not json"}, 400),
            ({"name": "x", "tags": "[1, 2]"}, 400),
            ({"name": "x", "experiment_ids": ["abc"]}, 400),
            ({"name": "x" * 256}, 400),
        ],
    )
    def test_bad_requests_are_400(self, server_url: str, body: dict, code: int) -> None:
        assert_error(httpx.post(f"{server_url}{API3}/datasets/create", json=body), code, "INVALID_PARAMETER_VALUE")

    def test_unknown_or_malformed_id_is_404(self, server_url: str) -> None:
        for dataset_id in (f"d-{'0' * 32}", "not-an-id", "x" * 500):
            body = assert_error(httpx.get(f"{server_url}{API3}/datasets/{dataset_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
            assert "not found" in body["message"] and len(body["message"]) < 200

    def test_ajax_prefix_answers_too(self, mlflow_client, server_url: str, unique: str) -> None:
        created = mlflow_client.create_dataset(name=f"ajax-{unique}")
        r = httpx.get(f"{server_url}/ajax-api/3.0/mlflow/datasets/{created.dataset_id}")
        assert r.status_code == 200 and r.json()["dataset"]["name"] == f"ajax-{unique}"


class TestSearch:
    def test_scope_filter_and_order(self, mlflow_client, experiments: list[str], unique: str) -> None:
        e1, e2, _ = experiments
        mlflow_client.create_dataset(name=f"{unique}-a", experiment_id=e1, tags={"team": "ml"})
        mlflow_client.create_dataset(name=f"{unique}-b", experiment_id=[e1, e2], tags={"team": "data"})
        mlflow_client.create_dataset(name=f"{unique}-c", experiment_id=e2, tags={"team": "ml"})
        assert sorted(names(mlflow_client.search_datasets(experiment_ids=[e1]))) == [f"{unique}-a", f"{unique}-b"]
        ml = mlflow_client.search_datasets(experiment_ids=[e1, e2], filter_string="tags.team = 'ml'")
        assert sorted(names(ml)) == [f"{unique}-a", f"{unique}-c"]
        liked = mlflow_client.search_datasets(filter_string=f"name LIKE '{unique}-%'", order_by=["name DESC"])
        assert names(liked) == [f"{unique}-c", f"{unique}-b", f"{unique}-a"]

    def test_pages_cover_everything_once(self, mlflow_client, experiments: list[str], unique: str) -> None:
        for i in range(5):
            mlflow_client.create_dataset(name=f"{unique}-p{i}", experiment_id=experiments[2])
        seen, token = [], None
        while True:
            page = mlflow_client.search_datasets(experiment_ids=[experiments[2]], max_results=2, page_token=token)
            assert len(page) <= 2
            seen += names(page)
            token = page.token
            if not token:
                break
        assert sorted(seen) == [f"{unique}-p{i}" for i in range(5)]

    def test_filter_values_are_data_not_sql(self, mlflow_client, unique: str) -> None:
        mlflow_client.create_dataset(name=f"{unique}-safe")
        tricky = f"{unique}' OR '1'='1"
        assert mlflow_client.search_datasets(filter_string=f"name = '{tricky.replace(chr(39), chr(39) * 2)}'") == []

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"filter_string": "params.x = '1'"},
            {"filter_string": "nope = 'x'"},
            {"filter_string": "created_time > 'soon'"},
            {"order_by": ["tags.team ASC"]},
            {"max_results": 1001},
        ],
    )
    def test_bad_search_is_400(self, mlflow_client, kwargs: dict) -> None:
        with pytest.raises(MlflowException) as err:
            mlflow_client.search_datasets(**kwargs)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"


class TestTagsAndDelete:
    def test_set_merges_and_delete_removes_one(self, mlflow_client, unique: str) -> None:
        ds = mlflow_client.create_dataset(name=f"tags-{unique}", tags={"keep": "1", "env": "dev"})
        mlflow_client.set_dataset_tags(ds.dataset_id, {"env": "prod", "new": "x"})
        mlflow_client.delete_dataset_tag(ds.dataset_id, "new")
        tags = mlflow_client.get_dataset(ds.dataset_id).tags
        assert tags["keep"] == "1" and tags["env"] == "prod" and "new" not in tags

    def test_set_tags_on_unknown_dataset_is_404(self, server_url: str) -> None:
        r = httpx.patch(f"{server_url}{API3}/datasets/d-{'1' * 32}/tags", json={"tags": '{"a": "b"}'})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_delete_removes_dataset_and_records(self, mlflow_client, server_url: str, unique: str) -> None:
        ds = mlflow_client.create_dataset(name=f"del-{unique}")
        r = httpx.post(f"{server_url}{API3}/datasets/{ds.dataset_id}/records", json={"records": '[{"inputs": {"q": 1}}]'})
        assert r.json()["inserted_count"] == 1
        mlflow_client.delete_dataset(ds.dataset_id)
        with pytest.raises(MlflowException, match="not found"):
            mlflow_client.get_dataset(ds.dataset_id)
        r = httpx.get(f"{server_url}{API3}/datasets/{ds.dataset_id}/records")
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestExperimentLinks:
    def test_add_and_remove_are_idempotent(self, mlflow_client, experiments: list[str], unique: str) -> None:
        e1, e2, e3 = experiments
        ds = mlflow_client.create_dataset(name=f"links-{unique}", experiment_id=[e1])
        added = mlflow_client.add_dataset_to_experiments(ds.dataset_id, [e1, e2, e3])
        assert sorted(added.experiment_ids) == sorted([e1, e2, e3])
        removed = mlflow_client.remove_dataset_from_experiments(ds.dataset_id, [e2, e2])
        assert sorted(removed.experiment_ids) == sorted([e1, e3])
        again = mlflow_client.remove_dataset_from_experiments(ds.dataset_id, [e2])
        assert sorted(again.experiment_ids) == sorted([e1, e3])
        assert names(mlflow_client.search_datasets(experiment_ids=[e2])) == []

    def test_adding_an_unknown_experiment_changes_nothing(self, mlflow_client, experiments: list[str], unique: str) -> None:
        ds = mlflow_client.create_dataset(name=f"links2-{unique}", experiment_id=[experiments[0]])
        with pytest.raises(MlflowException) as err:
            mlflow_client.add_dataset_to_experiments(ds.dataset_id, [experiments[1], "987654"])
        assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        assert mlflow_client.get_dataset(ds.dataset_id).experiment_ids == [experiments[0]]

    def test_unknown_dataset_is_not_found(self, mlflow_client, experiments: list[str]) -> None:
        with pytest.raises(MlflowException, match="not found"):
            mlflow_client.add_dataset_to_experiments(f"d-{'2' * 32}", experiments[:1])
