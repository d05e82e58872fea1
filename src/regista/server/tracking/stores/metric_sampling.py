"""SQL for the sampled metric history the web UI charts (metrics/get-history-bulk-interval).

Each run's points (optionally only steps in [start, end]) are ordered by (step, timestamp, value, is_nan)
and split into `n` evenly sized buckets with NTILE; the first point of every bucket is kept, and the run's
last point always ends the sample (replacing the last bucket's first point when the sample is full).
That is the sampling MLflow 3 applies, done here in one statement for all runs: the server reads at most
~n rows per run however many points were logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select

from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import Metric


@cache
def _sampled(dialect: str, ranged: bool) -> Any:
    order = (Metric.step, Metric.timestamp, Metric.value, Metric.is_nan)
    reverse = tuple(c.desc() for c in order)
    where = [Metric.key == bindparam("key"), in_ids(Metric.run_uuid, dialect)]
    if ranged:
        where += [Metric.step >= bindparam("start_step"), Metric.step <= bindparam("end_step")]
    bucketed = (
        select(
            Metric.run_uuid,
            Metric.step,
            Metric.timestamp,
            Metric.value,
            Metric.is_nan,
            func.ntile(bindparam("buckets")).over(partition_by=Metric.run_uuid, order_by=order).label("bucket"),
            func.row_number().over(partition_by=Metric.run_uuid, order_by=reverse).label("from_end"),
        )
        .where(*where)
        .subquery()
    )
    b = bucketed.c
    b_order = (b.step, b.timestamp, b.value, b.is_nan)
    ranked = select(
        b.run_uuid,
        b.step,
        b.timestamp,
        b.value,
        b.is_nan,
        b.from_end,
        func.row_number().over(partition_by=(b.run_uuid, b.bucket), order_by=b_order).label("in_bucket"),
    ).subquery()
    r = ranked.c
    return (
        select(r.run_uuid, r.step, r.timestamp, r.value, r.is_nan, r.in_bucket, r.from_end)
        .where(or_(r.in_bucket == 1, r.from_end == 1))
        .order_by(r.run_uuid, r.step, r.timestamp, r.value, r.is_nan)
    )


def sampled_history(
    conn: Connection,
    run_ids: Sequence[str],
    key: str,
    max_results: int,
    steps: tuple[int, int] | None,
) -> dict[str, list[Any]]:
    """{run_id: up to `max_results` sampled rows (step, timestamp, value, is_nan), in order}; runs without
    points of `key` are absent."""
    params: dict[str, Any] = {"key": key, "ids": ids_value(conn, run_ids), "buckets": max_results}
    if steps is not None:
        params["start_step"], params["end_step"] = steps
    out: dict[str, list[Any]] = {}
    last: dict[str, Any] = {}
    for row in conn.execute(_sampled(conn.dialect.name, steps is not None), params):
        if row.in_bucket == 1:
            out.setdefault(row.run_uuid, []).append(row)
        if row.from_end == 1:
            last[row.run_uuid] = row
    for run_id, final in last.items():
        sample = out[run_id]
        if sample[-1] is not final:
            # The last point is not a bucket's first: it takes the last slot when the sample is full.
            if len(sample) >= max_results:
                sample[-1] = final
            else:
                sample.append(final)
    return out
