"""runs_filter: filter strings and order_by become SQL over runs (checked on in-memory SQLite)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert

from regista.errors import InvalidParameter
from regista.server.db.base import Base
from regista.server.db.models import Experiment, LatestMetric, Param, Run, RunTag
from regista.server.tracking.stores.runs_filter import runs_search_statement


@pytest.fixture(scope="module")
def conn():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as c:
        c.execute(
            insert(Experiment),
            [
                {
                    "experiment_id": 1,
                    "name": "e",
                    "artifact_location": "x",
                    "creation_time": 0,
                    "last_update_time": 0,
                }
            ],
        )
        runs = [
            {
                "run_uuid": f"r{i}",
                "name": f"run-{i}",
                "experiment_id": 1,
                "user_id": "u",
                "status": "RUNNING",
                "start_time": i,
                "lifecycle_stage": "active",
                "artifact_uri": "a",
            }
            for i in range(4)
        ]
        c.execute(insert(Run), runs)
        c.execute(
            insert(LatestMetric),
            [
                {"run_uuid": "r0", "key": "m", "value": 1.0, "timestamp": 0, "step": 0, "is_nan": False},
                {"run_uuid": "r1", "key": "m", "value": 3.0, "timestamp": 0, "step": 0, "is_nan": False},
                {"run_uuid": "r2", "key": "m", "value": 0.0, "timestamp": 0, "step": 0, "is_nan": True},
            ],
        )
        c.execute(insert(Param), [{"run_uuid": f"r{i}", "key": "p", "value": "ab"[i % 2]} for i in range(4)])
        c.execute(insert(RunTag), [{"run_uuid": "r3", "key": "a.b", "value": "X"}])
        yield c


def run_ids(conn, flt: str | None, order: list[str] | None = None) -> list[str]:
    stmt = runs_search_statement([1], ["active"], flt, order or [])
    return [r.run_uuid for r in conn.execute(stmt)]


class TestRunsSearchStatement:
    def test_metric_filter_excludes_nan_and_missing(self, conn) -> None:
        assert set(run_ids(conn, "metrics.m >= 0")) == {"r0", "r1"}

    def test_metric_not_equal_keeps_nan(self, conn) -> None:
        assert set(run_ids(conn, "metrics.m != 1")) == {"r1", "r2"}

    def test_order_puts_nan_then_missing_last(self, conn) -> None:
        assert run_ids(conn, None, ["metrics.m DESC"]) == ["r1", "r0", "r2", "r3"]
        assert run_ids(conn, None, ["metrics.m"]) == ["r0", "r1", "r2", "r3"]

    def test_default_order_is_start_time_desc(self, conn) -> None:
        assert run_ids(conn, None) == ["r3", "r2", "r1", "r0"]

    def test_quoted_tag_key(self, conn) -> None:
        assert run_ids(conn, "tags.`a.b` = 'X'") == ["r3"]
        assert run_ids(conn, "tags.\"a.b\" LIKE 'X'") == ["r3"]

    def test_like_is_case_sensitive_on_sqlite(self, conn) -> None:
        assert run_ids(conn, "tags.`a.b` LIKE 'x'") == []
        assert run_ids(conn, "tags.`a.b` ILIKE 'x'") == ["r3"]

    def test_param_and_attribute(self, conn) -> None:
        assert run_ids(conn, "params.p = 'b' AND attributes.start_time > 1") == ["r3"]
        assert run_ids(conn, "run_id IN ('r0', 'r2')", ["run_id"]) == ["r0", "r2"]

    def test_one_join_per_key(self, conn) -> None:
        sql = str(
            runs_search_statement([1], ["active"], "metrics.m > 0 AND metrics.m < 5", ["metrics.m DESC"])
        )
        assert sql.count("JOIN latest_metrics") == 1

    @pytest.mark.parametrize(
        "flt",
        [
            "metrics.m > 'x'",
            "params.p > 'a'",
            "bogus = 1",
            "metrics.m = 1 OR metrics.m = 2",
            "params.p = 1",
            "datasets.other = 'x'",
            "start_time = 'abc'",
        ],
    )
    def test_invalid_filters_raise(self, flt: str) -> None:
        with pytest.raises(InvalidParameter):
            runs_search_statement([1], ["active"], flt, [])

    @pytest.mark.parametrize("order", ["bogus", "metrics.m UP", "datasets.name"])
    def test_invalid_order_raises(self, order: str) -> None:
        with pytest.raises(InvalidParameter):
            runs_search_statement([1], ["active"], None, [order])
