"""SQL for runs, their params and tags, and the batched reads that assemble Run objects for a page of runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import Experiment, LatestMetric, Param, Run, RunTag
from regista.server.stores.dialect import insert_ignore, upsert


def find_run(conn: Connection, run_id: str) -> Row | None:  # type: ignore[type-arg]
    """The run's row (run_uuid, experiment_id, artifact_uri, lifecycle_stage, ...) or None."""
    return conn.execute(select(Run).where(Run.run_uuid == run_id)).first()


def get_run(conn: Connection, run_id: str) -> Row:  # type: ignore[type-arg]
    row = find_run(conn, run_id)
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    return row


def runs_by_ids(conn: Connection, run_ids: Sequence[str]) -> dict[str, Row]:  # type: ignore[type-arg]
    if not run_ids:
        return {}
    return {r.run_uuid: r for r in conn.execute(select(Run).where(Run.run_uuid.in_(list(run_ids))))}


def experiment_stage(conn: Connection, experiment_id: int) -> tuple[str, str] | None:
    """(lifecycle_stage, artifact_location) of an experiment, or None."""
    row = conn.execute(
        select(Experiment.lifecycle_stage, Experiment.artifact_location).where(
            Experiment.experiment_id == experiment_id
        )
    ).first()
    return None if row is None else (row[0], row[1])


def insert_run(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(Run), values)


def update_run(conn: Connection, run_id: str, **values: Any) -> None:
    conn.execute(update(Run).where(Run.run_uuid == run_id).values(**values))


def existing_params(conn: Connection, run_id: str, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    if not keys:
        return {}
    rows = conn.execute(select(Param.key, Param.value).where(Param.run_uuid == run_id, Param.key.in_(keys)))
    return {k: v for k, v in rows}


def insert_params(conn: Connection, run_id: str, params: Sequence[tuple[str, str]]) -> None:
    """Bulk insert; identical (run, key) rows already present are skipped (same value re-logged)."""
    if params:
        conn.execute(
            insert_ignore(conn, Param), [{"run_uuid": run_id, "key": k, "value": v} for k, v in params]
        )


def set_tags(conn: Connection, run_id: str, tags: Sequence[tuple[str, str]]) -> None:
    """Bulk upsert (the last value of a key in `tags` wins)."""
    if tags:
        rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in dict(tags).items()]
        conn.execute(upsert(conn, RunTag, ["run_uuid", "key"], ["value"]), rows)


def delete_tag(conn: Connection, run_id: str, key: str) -> int:
    result = conn.execute(delete(RunTag).where(RunTag.run_uuid == run_id, RunTag.key == key))
    return int(result.rowcount or 0)


def _grouped(rows: Iterable[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        out[row[0]].append(row)
    return out


# The batched reads below carry no ORDER BY: sorting 10k (run_uuid, key) strings under a collation costs more
# than the read itself on PostgreSQL, and MLflow does not order a run's metrics, params or tags.


def params_for(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[Any]]:
    """(run_uuid, key, value) rows of many runs in one query."""
    if not run_ids:
        return {}
    return _grouped(
        conn.execute(select(Param.run_uuid, Param.key, Param.value).where(Param.run_uuid.in_(list(run_ids))))
    )


def tags_for(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[Any]]:
    if not run_ids:
        return {}
    return _grouped(
        conn.execute(
            select(RunTag.run_uuid, RunTag.key, RunTag.value).where(RunTag.run_uuid.in_(list(run_ids)))
        )
    )


def latest_metrics_for(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[Any]]:
    """(run_uuid, key, value, timestamp, step, is_nan) rows of many runs in one query."""
    if not run_ids:
        return {}
    return _grouped(
        conn.execute(
            select(
                LatestMetric.run_uuid,
                LatestMetric.key,
                LatestMetric.value,
                LatestMetric.timestamp,
                LatestMetric.step,
                LatestMetric.is_nan,
            ).where(LatestMetric.run_uuid.in_(list(run_ids)))
        )
    )


def search_runs(conn: Connection, stmt: Any, offset: int, limit: int) -> list[Row]:  # type: ignore[type-arg]
    """Execute a search statement for one page; limit+1 rows tell the caller whether more follow."""
    return list(conn.execute(stmt.offset(offset).limit(limit + 1)))
