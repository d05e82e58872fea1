"""runs/search: MLflow's filter grammar, order_by (NaN / missing last), view types and page tokens."""

from __future__ import annotations

import math

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow.entities import DatasetInput, InputTag, Metric, Param, RunTag, ViewType

from tests.fixtures.wire import API, assert_error


@pytest.fixture
def populated(mlflow_client, unique: str) -> tuple[str, dict[str, str]]:
    """An experiment with five runs r0..r4 carrying metrics (one NaN, one missing), params and tags."""
    eid = mlflow_client.create_experiment(f"search-{unique}")
    runs: dict[str, str] = {}
    accs = [0.1, 0.9, math.nan, None, 0.5]
    for i, acc in enumerate(accs):
        run = mlflow_client.create_run(eid, run_name=f"r{i}", start_time=1000 + i)
        rid = run.info.run_id
        metrics = [Metric("loss", float(10 - i), 1, 0)]
        if acc is not None:
            metrics.append(Metric("acc", acc, 1, 0))
        mlflow_client.log_batch(
            rid,
            metrics=metrics,
            params=[Param("model", "cnn" if i % 2 else "rnn"), Param("lr", str(i))],
            tags=[RunTag("team", "Vision" if i < 2 else "nlp"), RunTag("my tag", f"v{i}")],
        )
        runs[f"r{i}"] = rid
    mlflow_client.set_terminated(runs["r4"], status="FAILED")
    return eid, runs


def names(mlflow_client, eid: str, flt: str = "", order_by=None, view=ViewType.ACTIVE_ONLY) -> list[str]:
    runs = mlflow_client.search_runs([eid], filter_string=flt, order_by=order_by, run_view_type=view)
    return [r.info.run_name for r in runs]


class TestFilters:
    @pytest.mark.parametrize(
        "flt, expected",
        [
            ("metrics.acc > 0.4", {"r1", "r4"}),
            ("metrics.acc >= 0.5", {"r1", "r4"}),
            ("metrics.acc < 0.5", {"r0"}),
            ("metrics.acc <= 0.5", {"r0", "r4"}),
            ("metrics.acc = 0.9", {"r1"}),
            ("metrics.acc != 0.9", {"r0", "r2", "r4"}),
            ("metric.loss > 7.5 AND metrics.loss < 10", {"r1", "r2"}),
            ("params.model = 'cnn'", {"r1", "r3"}),
            ("param.model != 'cnn'", {"r0", "r2", "r4"}),
            ("params.lr LIKE '%3%'", {"r3"}),
            ("tags.team = 'Vision'", {"r0", "r1"}),
            ("tags.team LIKE 'vis%'", set()),
            ("tags.team ILIKE 'vis%'", {"r0", "r1"}),
            ("tags.`my tag` = 'v2'", {"r2"}),
            ("tags.\"my tag\" = 'v3'", {"r3"}),
            ("tags.missing IS NULL AND params.lr = '1'", {"r1"}),
            ("tags.team IS NOT NULL AND params.lr IN ('0', '4')", {"r0", "r4"}),
            ("attributes.status = 'FAILED'", {"r4"}),
            ("status != 'FAILED'", {"r0", "r1", "r2", "r3"}),
            ("attributes.run_name = 'r2'", {"r2"}),
            ("run_name LIKE 'r%' AND start_time >= 1003", {"r3", "r4"}),
            ("attributes.start_time < 1001", {"r0"}),
            ("params.model = 'cnn' AND metrics.acc > 0", {"r1"}),
        ],
    )
    def test_filter(self, mlflow_client, populated, flt: str, expected: set[str]) -> None:
        eid, _ = populated
        assert set(names(mlflow_client, eid, flt)) == expected

    def test_run_id_in_and_not_in(self, mlflow_client, populated) -> None:
        eid, runs = populated
        flt = f"attributes.run_id IN ('{runs['r0']}', '{runs['r3']}')"
        assert set(names(mlflow_client, eid, flt)) == {"r0", "r3"}
        flt = f"run_id NOT IN ('{runs['r0']}', '{runs['r3']}')"
        assert set(names(mlflow_client, eid, flt)) == {"r1", "r2", "r4"}

    def test_datasets_filter(self, mlflow_client, populated) -> None:
        eid, runs = populated
        ds = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="ds-search")
        # Through the client (not the fluent API, whose active experiment other tests may have changed).
        mlflow_client.log_inputs(
            runs["r2"], [DatasetInput(ds._to_mlflow_entity(), tags=[InputTag("mlflow.data.context", "eval")])]
        )
        assert names(mlflow_client, eid, "datasets.name = 'ds-search'") == ["r2"]
        assert names(mlflow_client, eid, f"datasets.digest IN ('{ds.digest}')") == ["r2"]
        assert names(mlflow_client, eid, "datasets.context = 'eval'") == ["r2"]
        assert names(mlflow_client, eid, "datasets.context = 'training'") == []

    def test_several_experiments(self, mlflow_client, populated, unique: str) -> None:
        eid, _ = populated
        other = mlflow_client.create_experiment(f"search-other-{unique}")
        mlflow_client.create_run(other, run_name="x")
        runs = mlflow_client.search_runs([eid, other], filter_string="attributes.run_name IN ('x', 'r0')")
        assert {r.info.run_name for r in runs} == {"x", "r0"}

    def test_data_in_results(self, mlflow_client, populated) -> None:
        eid, _ = populated
        [run] = mlflow_client.search_runs([eid], filter_string="attributes.run_name = 'r1'")
        assert run.data.metrics == {"loss": 9.0, "acc": 0.9}
        assert run.data.params == {"model": "cnn", "lr": "1"}
        assert run.data.tags["team"] == "Vision"


class TestOrderBy:
    def test_metric_desc_puts_nan_then_missing_last(self, mlflow_client, populated) -> None:
        eid, _ = populated
        assert names(mlflow_client, eid, order_by=["metrics.acc DESC"]) == ["r1", "r4", "r0", "r2", "r3"]

    def test_metric_asc_puts_nan_then_missing_last(self, mlflow_client, populated) -> None:
        eid, _ = populated
        assert names(mlflow_client, eid, order_by=["metrics.acc ASC"]) == ["r0", "r4", "r1", "r2", "r3"]

    def test_filter_and_order_on_same_metric(self, mlflow_client, populated) -> None:
        eid, _ = populated
        assert names(mlflow_client, eid, "metrics.acc > 0", ["metrics.acc DESC"]) == ["r1", "r4", "r0"]

    def test_default_is_start_time_desc(self, mlflow_client, populated) -> None:
        eid, _ = populated
        assert names(mlflow_client, eid) == ["r4", "r3", "r2", "r1", "r0"]

    def test_param_tag_and_attribute_order(self, mlflow_client, populated) -> None:
        eid, _ = populated
        assert names(mlflow_client, eid, order_by=["params.model ASC", "attributes.start_time ASC"]) == [
            "r1",
            "r3",
            "r0",
            "r2",
            "r4",
        ]
        assert names(mlflow_client, eid, order_by=["tags.`my tag` DESC"]) == ["r4", "r3", "r2", "r1", "r0"]
        assert names(mlflow_client, eid, order_by=["run_name"]) == ["r0", "r1", "r2", "r3", "r4"]

    def test_fluent_search_runs_dataframe(self, mlflow_client, populated) -> None:
        eid, _ = populated
        df = mlflow.search_runs([eid], order_by=["metrics.loss ASC"])
        assert list(df["tags.mlflow.runName"]) == ["r4", "r3", "r2", "r1", "r0"]


class TestViewTypes:
    def test_deleted_runs(self, mlflow_client, populated) -> None:
        eid, runs = populated
        mlflow_client.delete_run(runs["r0"])
        assert "r0" not in names(mlflow_client, eid)
        assert names(mlflow_client, eid, view=ViewType.DELETED_ONLY) == ["r0"]
        assert len(names(mlflow_client, eid, view=ViewType.ALL)) == 5


class TestPaging:
    def test_pages_cover_everything_once(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"paging-{unique}")
        made = set()
        for i in range(23):
            rid = mlflow_client.create_run(eid, start_time=5000 + i % 4).info.run_id
            mlflow_client.log_metric(rid, "m", float(i % 5), step=0)
            made.add(rid)
        for order in (None, ["metrics.m DESC"]):
            seen, token = [], None
            while True:
                page = mlflow_client.search_runs([eid], max_results=5, order_by=order, page_token=token)
                seen += [r.info.run_id for r in page]
                token = page.token
                if not token:
                    break
            assert len(seen) == 23 and set(seen) == made

    def test_last_page_has_no_token(self, server_url: str, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"paging2-{unique}")
        for _ in range(2):
            mlflow_client.create_run(eid)
        body = httpx.post(
            f"{server_url}{API}/runs/search", json={"experiment_ids": [eid], "max_results": 2}
        ).json()
        assert len(body["runs"]) == 2 and "next_page_token" not in body


class TestWithoutExperiments:
    def test_no_experiment_ids_is_an_empty_message(self, server_url: str) -> None:
        # MLflow answers the empty proto message: no "runs" key at all.
        r = httpx.post(f"{server_url}{API}/runs/search", json={"experiment_ids": []})
        assert r.status_code == 200
        assert r.json() == {}

    def test_a_malformed_cursor_is_still_refused(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}{API}/runs/search", json={"experiment_ids": [], "page_token": "bm90LWpzb24="})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestErrors:
    @pytest.mark.parametrize(
        "body",
        [
            {"filter": "metrics.acc > 0.5 OR metrics.acc < 0.1"},
            {"filter": "metrics.acc > 'high'"},
            {"filter": "metrics.acc LIKE '0.5'"},
            {"filter": "params.model > 'a'"},
            {"filter": "params.model = cnn"},
            {"filter": "attributes.nope = 'x'"},
            {"filter": "datasets.color = 'red'"},
            {"filter": "foo.bar = 'x'"},
            {"filter": "metrics.acc >"},
            {"filter": "start_time > 'yesterday'"},
            {"order_by": ["attributes.nope DESC"]},
            {"order_by": ["metrics.acc SIDEWAYS"]},
            {"max_results": 50001},
            {"page_token": "bm90LWpzb24="},
            {"page_token": "!!!"},
            {"run_view_type": "SOME"},
            {"experiment_ids": ["abc"]},
        ],
    )
    def test_bad_request_is_400(self, server_url: str, mlflow_client, unique: str, body: dict) -> None:
        eid = mlflow_client.create_experiment(f"err-{unique}")
        r = httpx.post(f"{server_url}{API}/runs/search", json={"experiment_ids": [eid], **body})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_max_results_50000_is_allowed(self, server_url: str, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"max-{unique}")
        r = httpx.post(f"{server_url}{API}/runs/search", json={"experiment_ids": [eid], "max_results": 50000})
        assert r.status_code == 200
