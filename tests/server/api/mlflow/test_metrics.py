"""Metric logging and history (steps, NaN / Infinity round trips, paging) on a live server."""

from __future__ import annotations

import math

import httpx
import pytest

API = "/api/2.0/mlflow"


@pytest.fixture
def run_id(mlflow_client, unique: str) -> str:
    eid = mlflow_client.create_experiment(f"metrics-{unique}")
    return mlflow_client.create_run(eid).info.run_id


class TestLogMetric:
    def test_history_with_steps(self, mlflow_client, run_id: str) -> None:
        for step in range(5):
            mlflow_client.log_metric(run_id, "loss", 1.0 / (step + 1), timestamp=1000 + step, step=step)
        history = mlflow_client.get_metric_history(run_id, "loss")
        assert [m.step for m in history] == [0, 1, 2, 3, 4]
        assert mlflow_client.get_run(run_id).data.metrics["loss"] == pytest.approx(0.2)

    def test_latest_is_by_step_not_arrival(self, mlflow_client, run_id: str) -> None:
        mlflow_client.log_metric(run_id, "m", 5.0, timestamp=1, step=10)
        mlflow_client.log_metric(run_id, "m", 1.0, timestamp=2, step=3)
        assert mlflow_client.get_run(run_id).data.metrics["m"] == 5.0

    def test_non_finite_values_round_trip_via_client(self, mlflow_client, run_id: str) -> None:
        mlflow_client.log_metric(run_id, "nan", math.nan, step=0)
        mlflow_client.log_metric(run_id, "pinf", math.inf, step=0)
        mlflow_client.log_metric(run_id, "ninf", -math.inf, step=0)
        metrics = mlflow_client.get_run(run_id).data.metrics
        assert math.isnan(metrics["nan"]) and metrics["pinf"] == math.inf and metrics["ninf"] == -math.inf
        assert math.isnan(mlflow_client.get_metric_history(run_id, "nan")[0].value)

    def test_non_finite_values_are_strings_on_the_wire(self, server_url: str, run_id: str) -> None:
        for key, value in (("a", "NaN"), ("b", "Infinity"), ("c", "-Infinity")):
            r = httpx.post(
                f"{server_url}{API}/runs/log-metric",
                json={"run_id": run_id, "key": key, "value": value, "timestamp": 1, "step": 0},
            )
            assert r.status_code == 200, r.text
        run = httpx.get(f"{server_url}{API}/runs/get", params={"run_id": run_id}).json()["run"]
        assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {
            "a": "NaN",
            "b": "Infinity",
            "c": "-Infinity",
        }
        hist = httpx.get(
            f"{server_url}{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "b"}
        ).json()
        assert hist["metrics"][0]["value"] == "Infinity"
        search = httpx.post(
            f"{server_url}{API}/runs/search",
            json={
                "experiment_ids": [run["info"]["experiment_id"]],
                "filter": f"attributes.run_id = '{run_id}'",
            },
        ).json()
        assert {m["key"]: m["value"] for m in search["runs"][0]["data"]["metrics"]}["a"] == "NaN"

    def test_missing_timestamp_is_400(self, server_url: str, run_id: str) -> None:
        r = httpx.post(f"{server_url}{API}/runs/log-metric", json={"run_id": run_id, "key": "k", "value": 1})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"

    def test_non_numeric_value_is_400(self, server_url: str, run_id: str) -> None:
        r = httpx.post(
            f"{server_url}{API}/runs/log-metric",
            json={"run_id": run_id, "key": "k", "value": "abc", "timestamp": 1},
        )
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"

    def test_missing_run_is_404(self, server_url: str) -> None:
        r = httpx.post(
            f"{server_url}{API}/runs/log-metric",
            json={"run_id": "a" * 32, "key": "k", "value": 1, "timestamp": 1},
        )
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


class TestGetMetricHistory:
    def test_paging_with_tokens(self, server_url: str, mlflow_client, run_id: str) -> None:
        from mlflow.entities import Metric

        mlflow_client.log_batch(run_id, metrics=[Metric("h", float(i), 100 + i, i) for i in range(7)])
        seen, token = [], None
        while True:
            params = {"run_id": run_id, "metric_key": "h", "max_results": 3}
            if token:
                params["page_token"] = token
            body = httpx.get(f"{server_url}{API}/metrics/get-history", params=params).json()
            seen += [m["step"] for m in body["metrics"]]
            token = body.get("next_page_token")
            if not token:
                break
        assert seen == list(range(7))

    def test_legacy_run_uuid(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.log_metric(run_id, "x", 1.0, step=0)
        body = httpx.get(
            f"{server_url}{API}/metrics/get-history", params={"run_uuid": run_id, "metric_key": "x"}
        ).json()
        assert [m["value"] for m in body["metrics"]] == [1.0]

    def test_unknown_key_is_empty(self, mlflow_client, run_id: str) -> None:
        assert mlflow_client.get_metric_history(run_id, "nothing") == []

    def test_bad_token_is_400(self, server_url: str, run_id: str) -> None:
        r = httpx.get(
            f"{server_url}{API}/metrics/get-history",
            params={"run_id": run_id, "metric_key": "x", "page_token": "garbage!"},
        )
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"

    def test_missing_run_is_404(self, server_url: str) -> None:
        r = httpx.get(
            f"{server_url}{API}/metrics/get-history", params={"run_id": "b" * 32, "metric_key": "x"}
        )
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
