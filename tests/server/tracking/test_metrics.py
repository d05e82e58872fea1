"""Metric logging and history (steps, NaN / Infinity round trips, paging) and the web UI's bulk and sampled
history reads, on a live server."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from tests.fixtures.wire import assert_error

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


AJAX = "/ajax-api/2.0/mlflow"


def _points(body: dict) -> list[tuple[str, int, int, object]]:
    return [(m["run_id"], m["step"], m["timestamp"], m["value"]) for m in body["metrics"]]


class TestGetMetricHistoryBulk:
    def test_runs_in_id_order_points_by_timestamp_step_value(self, server_url: str, mlflow_client, unique) -> None:
        eid = mlflow_client.create_experiment(f"bulk-{unique}")
        runs = [mlflow_client.create_run(eid).info.run_id for _ in range(3)]
        # (timestamp, step, value): logged out of order; the third run logs nothing.
        for run_id in runs[:2]:
            for ts, step, value in ((2, 3, 12.0), (1, 3, 12.0), (1, 2, 10.0), (1, 3, 11.0)):
                mlflow_client.log_metric(run_id, "a", value, timestamp=ts, step=step)
        body = httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk",
                         params={"run_id": runs, "metric_key": "a"}).json()
        expected = [(r, s, t, v) for r in sorted(runs[:2]) for t, s, v in ((1, 2, 10.0), (1, 3, 11.0), (1, 3, 12.0),
                                                                           (2, 3, 12.0))]
        assert _points(body) == expected
        assert {m["key"] for m in body["metrics"]} == {"a"}

    def test_max_results_caps_the_total(self, server_url: str, mlflow_client, run_id: str) -> None:
        for step in range(4):
            mlflow_client.log_metric(run_id, "a", float(step), timestamp=1, step=step)
        body = httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk",
                         params={"run_id": [run_id], "metric_key": "a", "max_results": 2}).json()
        assert [m["step"] for m in body["metrics"]] == [0, 1]

    def test_nan_is_a_string(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.log_metric(run_id, "n", math.nan, timestamp=1, step=0)
        body = httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk",
                         params={"run_id": run_id, "metric_key": "n"}).json()
        assert [m["value"] for m in body["metrics"]] == ["NaN"]

    @pytest.mark.parametrize(("params", "message"), [
        ({"metric_key": "k"}, "GetMetricHistoryBulk request must specify at least one run_id."),
        ({"run_id": [f"r{i}" for i in range(101)], "metric_key": "k"},
         "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids."),
        ({"run_id": ["r"]}, "GetMetricHistoryBulk request must specify a metric_key."),
    ])
    def test_bad_requests_are_400_in_mlflow_words(self, server_url: str, params: dict, message: str) -> None:
        body = assert_error(httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk", params=params),
                            400, "INVALID_PARAMETER_VALUE")
        assert body["message"] == message


def _log_history(client, run_id: str, key: str, points: list[tuple[int, int, float]]) -> None:
    from mlflow.entities import Metric

    for i in range(0, len(points), 1000):
        client.log_batch(run_id, metrics=[Metric(key, v, ts, s) for s, ts, v in points[i:i + 1000]])


# (step, timestamp, value) histories: distinct steps, many points on one step (log_metric's default step 0),
# unordered logging with gaps and a NaN.
HISTORIES = {
    "steps": [(s, 1, 10.0) for s in range(10)],
    "long": [(s, 1000 + s, s / 7) for s in range(0, 3000, 3)],
    "one_step": [(0, 100 + i, float(i % 5)) for i in range(40)],
    "mixed": [(s % 13, 90 - s, float(s) if s != 17 else math.nan) for s in range(60)],
}


@pytest.fixture(scope="module")
def mlflow_sampling_oracle(tmp_path_factory):
    """MLflow's own SqlAlchemyStore on SQLite holding HISTORIES (the sampling the official server applies)."""
    from mlflow.entities import Metric
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    tmp = tmp_path_factory.mktemp("oracle")
    store = SqlAlchemyStore(f"sqlite:///{tmp}/mlflow.db", str(tmp / "artifacts"))
    run_ids = {}
    for name, points in HISTORIES.items():
        run_id = store.create_run("0", "u", 0, [], name).info.run_id
        store.log_batch(run_id, [Metric("m", v, ts, s) for s, ts, v in points], [], [])
        run_ids[name] = run_id
    return store, run_ids


def _canonical(points: list[tuple[int, int, object]]) -> list[tuple[int, int, object]]:
    return [(s, t, "NaN" if isinstance(v, float) and math.isnan(v) else v) for s, t, v in points]


class TestGetMetricHistoryBulkInterval:
    @pytest.mark.parametrize("history", list(HISTORIES))
    @pytest.mark.parametrize(("max_results", "steps"), [
        (5, None), (1, None), (2, None), (7, None), (320, None), (2500, None), (4, (2, 8)), (3, (0, 0)),
    ])
    def test_sampling_matches_mlflow(self, server_url: str, mlflow_client, unique, mlflow_sampling_oracle,
                                     history: str, max_results: int, steps: tuple[int, int] | None) -> None:
        store, oracle_runs = mlflow_sampling_oracle
        run_id = mlflow_client.create_run(mlflow_client.create_experiment(f"interval-{unique}")).info.run_id
        _log_history(mlflow_client, run_id, "m", HISTORIES[history])
        params: dict = {"run_ids": [run_id], "metric_key": "m", "max_results": max_results}
        if steps:
            params["start_step"], params["end_step"] = steps
        body = httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk-interval", params=params).json()
        got = [(m["step"], m["timestamp"], m["value"]) for m in body.get("metrics", [])]
        start, end = steps or (None, None)
        expected = store.get_metric_history_bulk_interval([oracle_runs[history]], "m", max_results, start, end)
        assert got == _canonical([(e.step, e.timestamp, e.value) for e in expected])
        assert all(m["run_id"] == run_id and m["key"] == "m" for m in body.get("metrics", []))

    def test_runs_in_request_order_and_unknown_runs_are_empty(self, server_url: str, mlflow_client, unique) -> None:
        eid = mlflow_client.create_experiment(f"interval-order-{unique}")
        first, second = (mlflow_client.create_run(eid).info.run_id for _ in range(2))
        _log_history(mlflow_client, first, "m", [(s, 1, 1.0) for s in range(3)])
        _log_history(mlflow_client, second, "m", [(s, 1, 2.0) for s in range(2)])
        body = httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk-interval",
                         params={"run_ids": [second, "f" * 32, first], "metric_key": "m"}).json()
        assert [(m["run_id"], m["step"]) for m in body["metrics"]] == [
            (second, 0), (second, 1), (first, 0), (first, 1), (first, 2)]

    def test_also_served_under_the_rest_prefix(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.log_metric(run_id, "m", 1.0, timestamp=1, step=0)
        body = httpx.get(f"{server_url}{API}/metrics/get-history-bulk-interval",
                         params={"run_ids": [run_id], "metric_key": "m"}).json()
        assert [m["value"] for m in body["metrics"]] == [1.0]

    @pytest.mark.parametrize(("params", "message"), [
        ({"metric_key": "k"}, "Missing value for required parameter 'run_ids'."),
        ({"run_ids": [f"r{i}" for i in range(101)], "metric_key": "k"},
         "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101 run_ids."),
        ({"run_ids": ["r"], "metric_key": ""}, "Missing value for required parameter 'metric_key'."),
        ({"run_ids": ["r"], "metric_key": "k", "max_results": 0}, "max_results must be between 1 and 2500."),
        ({"run_ids": ["r"], "metric_key": "k", "max_results": 2501}, "max_results must be between 1 and 2500."),
        ({"run_ids": ["r"], "metric_key": "k", "start_step": 1, "end_step": 0},
         "end_step must be greater than start_step. Found start_step=1 and end_step=0."),
        ({"run_ids": ["r"], "metric_key": "k", "start_step": 1},
         "If either start step or end step are specified, both must be specified."),
    ])
    def test_bad_requests_are_400_in_mlflow_words(self, server_url: str, params: dict, message: str) -> None:
        body = assert_error(httpx.get(f"{server_url}{AJAX}/metrics/get-history-bulk-interval", params=params),
                            400, "INVALID_PARAMETER_VALUE")
        assert body["message"] == message


class TestMlflowValidationWording:
    """The messages MLflow's own server gives for missing fields (its handlers' required-field checks)."""

    def test_log_metric_without_key_names_the_key(self, server_url: str, mlflow_client: Any, unique: str) -> None:
        run_id = mlflow_client.create_run(mlflow_client.create_experiment(f"wording-{unique}")).info.run_id
        for body in ({"run_id": run_id, "value": 1, "timestamp": 1}, {"run_id": run_id, "key": None, "value": 1,
                                                                     "timestamp": 1}):
            r = httpx.post(f"{server_url}/api/2.0/mlflow/runs/log-metric", json=body)
            assert r.status_code == 400
            assert r.json()["message"] == "Missing value for required parameter 'key'."

    def test_log_batch_metric_without_timestamp_names_its_path(
        self, server_url: str, mlflow_client: Any, unique: str
    ) -> None:
        run_id = mlflow_client.create_run(mlflow_client.create_experiment(f"wording-{unique}")).info.run_id
        body = {"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5}]}
        r = httpx.post(f"{server_url}/api/2.0/mlflow/runs/log-batch", json=body)
        assert r.status_code == 400
        assert r.json()["message"] == "Missing value for required parameter 'metrics[0].timestamp'."
        assert mlflow_client.get_run(run_id).data.metrics == {}

    def test_create_experiment_without_name(self, server_url: str) -> None:
        for body in ({}, {"name": ""}):
            r = httpx.post(f"{server_url}/api/2.0/mlflow/experiments/create", json=body)
            assert r.status_code == 400
            assert r.json()["message"] == "Missing value for required parameter 'name'."
