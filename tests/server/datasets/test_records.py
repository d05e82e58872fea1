"""Evaluation dataset records: merge_records from the mlflow client, upsert counts, pages, deletion."""

from __future__ import annotations

import json

import httpx
import pytest
from mlflow.genai.datasets import create_dataset, get_dataset

from tests.fixtures.wire import assert_error

API3 = "/api/3.0/mlflow"


def upsert(server_url: str, dataset_id: str, records: list) -> httpx.Response:
    return httpx.post(f"{server_url}{API3}/datasets/{dataset_id}/records", json={"records": json.dumps(records)})


@pytest.fixture
def dataset(mlflow_client, unique: str):
    experiment_id = mlflow_client.create_experiment(f"rec-{unique}")
    return create_dataset(name=f"rec-{unique}", experiment_id=experiment_id)


def test_merge_records_inserts_then_updates_by_inputs(mlflow_client, dataset) -> None:
    dataset.merge_records([
        {"inputs": {"q": "What is MLflow?"}, "expectations": {"answer": "a platform"}},
        {"inputs": {"q": "What is Python?"}},
    ])
    # Same inputs in another key order: the same record, expectations merged and outputs replaced.
    dataset.merge_records([{"inputs": {"q": "What is MLflow?"}, "expectations": {"score": 1}, "outputs": "ok"}])
    records = sorted(mlflow_client.get_dataset(dataset.dataset_id).records, key=lambda r: r.inputs["q"])
    assert [r.inputs["q"] for r in records] == ["What is MLflow?", "What is Python?"]
    assert records[0].expectations == {"answer": "a platform", "score": 1}
    assert records[0].outputs == "ok"
    assert records[0].source_type == "HUMAN" and records[1].source_type == "CODE"
    df = get_dataset(dataset_id=dataset.dataset_id).to_df()
    assert len(df) == 2
    ds = mlflow_client.get_dataset(dataset.dataset_id)
    assert json.loads(ds.profile) == {"num_records": 2}
    assert json.loads(ds.schema)["expectations"] == {"answer": "string", "score": "integer"}


def test_upsert_counts_and_digest_change(server_url: str, mlflow_client, dataset) -> None:
    before = mlflow_client.get_dataset(dataset.dataset_id).digest
    r = upsert(server_url, dataset.dataset_id, [{"inputs": {"a": 1}}, {"inputs": {"a": 2}}])
    assert r.status_code == 200 and r.json() == {"inserted_count": 2, "updated_count": 0}
    r = upsert(server_url, dataset.dataset_id, [{"inputs": {"a": 2}, "tags": {"t": "x"}}, {"inputs": {"a": 3}}])
    assert r.json() == {"inserted_count": 1, "updated_count": 1}
    assert mlflow_client.get_dataset(dataset.dataset_id).digest != before


def test_records_page_in_order_without_overlap(server_url: str, mlflow_client, dataset) -> None:
    upsert(server_url, dataset.dataset_id, [{"inputs": {"i": i}} for i in range(7)])
    store = mlflow_client._tracking_client.store
    seen, token = [], None
    while True:
        page, token = store._load_dataset_records(dataset.dataset_id, max_results=3, page_token=token)
        assert len(page) <= 3
        seen += [r.dataset_record_id for r in page]
        if not token:
            break
    assert len(seen) == len(set(seen)) == 7


def test_delete_records_updates_profile(server_url: str, mlflow_client, dataset) -> None:
    upsert(server_url, dataset.dataset_id, [{"inputs": {"i": i}} for i in range(3)])
    entity = mlflow_client.get_dataset(dataset.dataset_id)
    ids = [r.dataset_record_id for r in entity.records]
    assert entity.delete_records([ids[0], "dr-unknown"]) == 1
    after = mlflow_client.get_dataset(dataset.dataset_id)
    assert json.loads(after.profile) == {"num_records": 2}
    assert sorted(r.dataset_record_id for r in after.records) == sorted(ids[1:])


@pytest.mark.parametrize(
    "records",
    ['{"inputs": {}}', "[1, 2]", '[{"inputs": "text"}]', '[{"inputs": {"a": 1}, "tags": []}]', "[{"],
)
def test_bad_records_are_400_and_store_nothing(server_url: str, mlflow_client, dataset, records: str) -> None:
    r = httpx.post(f"{server_url}{API3}/datasets/{dataset.dataset_id}/records", json={"records": records})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert mlflow_client.get_dataset(dataset.dataset_id).records == []


def test_bad_page_token_is_400(server_url: str, dataset) -> None:
    r = httpx.get(f"{server_url}{API3}/datasets/{dataset.dataset_id}/records", params={"page_token": "%%%"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
