"""SQL for runs, their params and tags, and the batched reads that assemble Run objects for a page of runs.

Every statement is built once (module-level cached factories with bind parameters) and executed with a
parameter dict: building a Core statement per call costs several times more than executing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Text,
    bindparam,
    cast,
    delete,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from regista.errors import NotFound
from regista.server.db.models import (
    Experiment,
    LatestMetric,
    Param,
    Run,
    RunModelInput,
    RunModelOutput,
    RunTag,
)
from regista.server.stores.bulk import BulkInsert

# Kinds of the rows details_for returns (second column).
PARAM, TAG, MODEL_INPUT, MODEL_OUTPUT = 0, 1, 2, 3

_INSERT_PARAMS = BulkInsert(Param, ("run_uuid", "key", "value"), "nothing")
_UPSERT_TAGS = BulkInsert(RunTag, ("run_uuid", "key", "value"), (("run_uuid", "key"), ("value",), None))


def _match(column: Any, single: bool) -> Any:
    """`column = :run_id` for one run, `column IN (:ids)` (expanding) for a page of runs."""
    return column == bindparam("run_id") if single else column.in_(bindparam("ids", expanding=True))


def _params(run_ids: Sequence[str]) -> tuple[bool, dict[str, Any]]:
    if len(run_ids) == 1:
        return True, {"run_id": run_ids[0]}
    return False, {"ids": list(run_ids)}


@cache
def _select_run(single: bool) -> Any:
    return select(Run).where(_match(Run.run_uuid, single))


def find_run(conn: Connection, run_id: str) -> Row | None:  # type: ignore[type-arg]
    """The run's row (run_uuid, experiment_id, artifact_uri, lifecycle_stage, ...) or None."""
    return conn.execute(_select_run(True), {"run_id": run_id}).first()


def get_run(conn: Connection, run_id: str) -> Row:  # type: ignore[type-arg]
    row = find_run(conn, run_id)
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    return row


def runs_by_ids(conn: Connection, run_ids: Sequence[str]) -> dict[str, Row]:  # type: ignore[type-arg]
    if not run_ids:
        return {}
    return {r.run_uuid: r for r in conn.execute(_select_run(False), {"ids": list(run_ids)})}


@cache
def _experiment_stage() -> Any:
    return select(Experiment.lifecycle_stage, Experiment.artifact_location).where(
        Experiment.experiment_id == bindparam("experiment_id")
    )


def experiment_stage(conn: Connection, experiment_id: int) -> tuple[str, str] | None:
    """(lifecycle_stage, artifact_location) of an experiment, or None."""
    row = conn.execute(_experiment_stage(), {"experiment_id": experiment_id}).first()
    return None if row is None else (row[0], row[1])


@cache
def _insert_run() -> Any:
    return insert(Run)


def insert_run(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_insert_run(), values)


@cache
def _update_run(columns: tuple[str, ...]) -> Any:
    # Bind names must differ from column names in an UPDATE's SET clause.
    return (
        update(Run)
        .where(Run.run_uuid == bindparam("run_id"))
        .values({c: bindparam(f"new_{c}") for c in columns})
    )


def update_run(conn: Connection, run_id: str, **values: Any) -> None:
    params = {f"new_{c}": v for c, v in values.items()}
    params["run_id"] = run_id
    conn.execute(_update_run(tuple(sorted(values))), params)


@cache
def _existing_params() -> Any:
    return select(Param.key, Param.value).where(
        Param.run_uuid == bindparam("run_id"), Param.key.in_(bindparam("keys", expanding=True))
    )


def existing_params(conn: Connection, run_id: str, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    if not keys:
        return {}
    return {k: v for k, v in conn.execute(_existing_params(), {"run_id": run_id, "keys": keys})}


def insert_params(conn: Connection, run_id: str, params: Sequence[tuple[str, str]]) -> None:
    """Bulk insert; identical (run, key) rows already present are skipped (same value re-logged)."""
    _INSERT_PARAMS.execute(conn, [(run_id, k, v) for k, v in params])


def set_tags(conn: Connection, run_id: str, tags: Sequence[tuple[str, str]]) -> None:
    """Bulk upsert (the last value of a key in `tags` wins)."""
    if tags:
        _UPSERT_TAGS.execute(conn, [(run_id, k, v) for k, v in dict(tags).items()])


@cache
def _delete_tag() -> Any:
    return delete(RunTag).where(RunTag.run_uuid == bindparam("run_id"), RunTag.key == bindparam("key"))


def delete_tag(conn: Connection, run_id: str, key: str) -> int:
    result = conn.execute(_delete_tag(), {"run_id": run_id, "key": key})
    return int(result.rowcount or 0)


# The batched reads below carry no ORDER BY: sorting 10k (run_uuid, key) strings under a collation costs more
# than the read itself on PostgreSQL, and MLflow does not order a run's metrics, params or tags.


@cache
def _select_latest(single: bool) -> Any:
    m = LatestMetric
    return select(m.run_uuid, m.key, m.value, m.timestamp, m.step, m.is_nan).where(_match(m.run_uuid, single))


def latest_metrics_for(conn: Connection, run_ids: Sequence[str]) -> Sequence[Any]:
    """(run_uuid, key, value, timestamp, step, is_nan) rows of many runs in one query."""
    if not run_ids:
        return []
    single, params = _params(run_ids)
    return conn.execute(_select_latest(single), params).all()


@cache
def _select_details(single: bool) -> Any:
    no_text, no_int = cast(null(), Text), cast(null(), Integer)
    return union_all(
        select(Param.run_uuid, literal_column(str(PARAM)), Param.key, Param.value, no_int).where(
            _match(Param.run_uuid, single)
        ),
        select(RunTag.run_uuid, literal_column(str(TAG)), RunTag.key, RunTag.value, no_int).where(
            _match(RunTag.run_uuid, single)
        ),
        select(
            RunModelInput.run_uuid,
            literal_column(str(MODEL_INPUT)),
            RunModelInput.model_id,
            no_text,
            RunModelInput.position,
        ).where(_match(RunModelInput.run_uuid, single)),
        select(
            RunModelOutput.run_uuid,
            literal_column(str(MODEL_OUTPUT)),
            RunModelOutput.model_id,
            no_text,
            RunModelOutput.step,
        ).where(_match(RunModelOutput.run_uuid, single)),
    )


def details_for(conn: Connection, run_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Params, tags, model inputs and model outputs of many runs in one query, as
    (run_uuid, kind, key or model_id, value, position or step) tuples, kind one of PARAM .. MODEL_OUTPUT.
    Unordered: the caller orders model inputs by position and outputs by (step, model_id)."""
    if not run_ids:
        return []
    single, params = _params(run_ids)
    return conn.execute(_select_details(single), params).tuples().all()


def search_runs(conn: Connection, stmt: Any, offset: int, limit: int) -> list[Row]:  # type: ignore[type-arg]
    """Execute a search statement for one page; limit+1 rows tell the caller whether more follow."""
    return list(conn.execute(stmt.offset(offset).limit(limit + 1)))
