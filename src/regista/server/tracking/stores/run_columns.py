"""SQL for a runs table that shows a few chosen columns: the metric and parameter keys of a page of runs, and
only the chosen keys' values (a page of 50 runs with 100 metrics each then reads 50 x chosen values, not 5,000).

Both statements are built once per dialect; the run ids and the chosen keys travel as one parameter each
(db/id_lists), so the SQL text is the same for every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Connection, Float, Text, cast, literal_column, null, select, union, union_all

from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import LatestMetric, Param, RunTag

# Kinds of the rows these statements return (first column of keys_for, second of values_for).
METRIC, PARAM, TAG = 0, 1, 2


@cache
def _select_keys(dialect: str) -> Any:
    def kind(k: int) -> Any:
        return literal_column(str(k))

    return union(
        select(kind(METRIC), LatestMetric.key).where(in_ids(LatestMetric.run_uuid, dialect)),
        select(kind(PARAM), Param.key).where(in_ids(Param.run_uuid, dialect)),
    )


def keys_for(conn: Connection, run_ids: Sequence[str]) -> list[tuple[int, str]]:
    """(kind, key) of every latest metric and parameter the runs hold, each once, unordered."""
    if not run_ids:
        return []
    result = conn.execute(_select_keys(conn.dialect.name), {"ids": ids_value(conn, run_ids)})
    return [(kind, key) for kind, key in result]


@cache
def _select_values(dialect: str) -> Any:
    def kind(k: int) -> Any:
        return literal_column(str(k))

    # PostgreSQL types every column of a UNION: text and numbers get a column each, NULL where unused.
    text, real, flag = cast(null(), Text), cast(null(), Float), cast(null(), Boolean)
    m = LatestMetric
    return union_all(
        select(m.run_uuid, kind(METRIC), m.key, text, m.value, m.is_nan).where(
            in_ids(m.run_uuid, dialect), in_ids(m.key, dialect, "metric_keys")
        ),
        select(Param.run_uuid, kind(PARAM), Param.key, Param.value, real, flag).where(
            in_ids(Param.run_uuid, dialect), in_ids(Param.key, dialect, "param_keys")
        ),
        select(RunTag.run_uuid, kind(TAG), RunTag.key, RunTag.value, real, flag).where(
            in_ids(RunTag.run_uuid, dialect), in_ids(RunTag.key, dialect, "tag_keys")
        ),
    )


def values_for(
    conn: Connection,
    run_ids: Sequence[str],
    metric_keys: Sequence[str],
    param_keys: Sequence[str],
    tag_keys: Sequence[str],
) -> list[tuple[Any, ...]]:
    """(run_uuid, kind, key, text, value, is_nan) of the named latest metrics, parameters and tags of the
    runs: a metric has its float `value` and `is_nan` (truthy for NaN), a parameter or tag its `text`."""
    if not run_ids:
        return []
    params = {
        "ids": ids_value(conn, run_ids),
        "metric_keys": ids_value(conn, metric_keys),
        "param_keys": ids_value(conn, param_keys),
        "tag_keys": ids_value(conn, tag_keys),
    }
    return [tuple(row) for row in conn.execute(_select_values(conn.dialect.name), params)]
