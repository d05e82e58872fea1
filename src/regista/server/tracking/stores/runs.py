"""SQL for runs, their params and tags, and the batched reads that assemble Run objects for a page of runs.

Every statement is built once (module-level cached factories with bind parameters) and executed with a
parameter dict: building a Core statement per call costs several times more than executing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Float,
    Row,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from regista.errors import NotFound
from regista.server.db.bulk import BulkInsert
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import (
    Dataset,
    LatestMetric,
    Param,
    Run,
    RunDatasetInput,
    RunModelInput,
    RunModelOutput,
    RunTag,
)

# Kinds of the rows details_for returns (second column).
METRIC, PARAM, TAG, MODEL_INPUT, MODEL_OUTPUT, DATASET_INPUT = 0, 1, 2, 3, 4, 5

_INSERT_PARAMS = BulkInsert(Param, ("run_uuid", "key", "value"), "nothing")
_UPSERT_TAGS = BulkInsert(RunTag, ("run_uuid", "key", "value"), (("run_uuid", "key"), ("value",), None))


def _match(column: Any, mode: str) -> Any:
    """`column = :run_id` for one run ("one"), `column IN (:ids)` for a page of runs (mode = dialect name)."""
    return column == bindparam("run_id") if mode == "one" else in_ids(column, mode)


def _params(conn: Connection, run_ids: Sequence[str]) -> tuple[str, dict[str, Any]]:
    if len(run_ids) == 1:
        return "one", {"run_id": run_ids[0]}
    return conn.dialect.name, {"ids": ids_value(conn, run_ids)}


def _fetch(result: Any) -> list[tuple[Any, ...]]:
    """The driver's row tuples, skipping SQLAlchemy's Row objects: for the large per-page reads whose
    columns need no result processing (strings, numbers; SQLite's booleans stay 0/1)."""
    try:
        rows: list[tuple[Any, ...]] = result.cursor.fetchall()
        return rows
    finally:
        result.close()


# MLflow's not-found messages, built once (the mlflow client and users match them).
def not_found(run_id: str) -> NotFound:
    return NotFound(f"Run with id={run_id} not found")


def tag_not_found(run_id: str, key: str) -> NotFound:
    return NotFound(f"No tag with name: {key} in run with id {run_id}")


@cache
def _select_run(mode: str) -> Any:
    return select(Run).where(_match(Run.run_uuid, mode))


def find_run(conn: Connection, run_id: str) -> Row[Any] | None:
    """The run's row (run_uuid, experiment_id, artifact_uri, lifecycle_stage, ...) or None."""
    return conn.execute(_select_run("one"), {"run_id": run_id}).first()


def get_run(conn: Connection, run_id: str) -> Row[Any]:
    row = find_run(conn, run_id)
    if row is None:
        raise not_found(run_id)
    return row


def runs_by_ids(conn: Connection, run_ids: Sequence[str]) -> dict[str, Row[Any]]:
    if not run_ids:
        return {}
    mode, params = _params(conn, run_ids)
    return {r.run_uuid: r for r in conn.execute(_select_run(mode), params)}


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


# The page read below carries no ORDER BY: sorting 10k (run_uuid, key) strings under a collation costs more
# than the read itself on PostgreSQL, and MLflow does not order a run's metrics, params or tags.


def _dataset_json(dialect: str) -> Any:
    """One dataset input as a JSON object (all text: exact in JSON), built by the database."""
    d, i = Dataset, RunDatasetInput
    fields = [
        ("tags", i.tags),
        ("name", d.name),
        ("digest", d.digest),
        ("source_type", d.source_type),
        ("source", d.source),
        ("schema", d.schema),
        ("profile", d.profile),
    ]
    # literal_column() leaves its SQL type open, so mypy cannot infer `a`.
    args: list[Any] = [a for name, col in fields for a in (literal_column(f"'{name}'"), col)]  # type: ignore[var-annotated]
    if dialect == "postgresql":
        return cast(func.json_build_object(*args), Text)
    return func.json_object(*args)


@cache
def _select_details(many: bool, dialect: str) -> Any:
    def match(column: Any) -> Any:
        return in_ids(column, dialect) if many else column == bindparam("run_id")

    def kind(k: int) -> Any:
        return literal_column(str(k))

    text, real, number, flag = (cast(null(), t) for t in (Text, Float, BigInteger, Boolean))
    m = LatestMetric
    return union_all(
        select(m.run_uuid, kind(METRIC), m.key, text, m.value, m.timestamp, m.step, m.is_nan).where(
            match(m.run_uuid)
        ),
        select(Param.run_uuid, kind(PARAM), Param.key, Param.value, real, number, number, flag).where(
            match(Param.run_uuid)
        ),
        select(RunTag.run_uuid, kind(TAG), RunTag.key, RunTag.value, real, number, number, flag).where(
            match(RunTag.run_uuid)
        ),
        select(
            RunModelInput.run_uuid,
            kind(MODEL_INPUT),
            RunModelInput.model_id,
            text,
            real,
            RunModelInput.position,
            number,
            flag,
        ).where(match(RunModelInput.run_uuid)),
        select(
            RunModelOutput.run_uuid,
            kind(MODEL_OUTPUT),
            RunModelOutput.model_id,
            text,
            real,
            RunModelOutput.step,
            number,
            flag,
        ).where(match(RunModelOutput.run_uuid)),
        select(
            RunDatasetInput.run_uuid,
            kind(DATASET_INPUT),
            text,
            _dataset_json(dialect),
            real,
            RunDatasetInput.position,
            number,
            flag,
        )
        .join(Dataset, Dataset.dataset_uuid == RunDatasetInput.dataset_uuid)
        .where(match(RunDatasetInput.run_uuid)),
    )


def details_for(conn: Connection, run_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Everything a Run object shows besides its info, for many runs in one query, as driver tuples
    (run_uuid, kind, key, text, value, n1, n2, is_nan):

    - METRIC: key, value, n1 = timestamp, n2 = step, is_nan (truthy; SQLite answers 0/1)
    - PARAM / TAG: key, text = value
    - MODEL_INPUT: key = model_id, n1 = position; MODEL_OUTPUT: key = model_id, n1 = step
    - DATASET_INPUT: text = JSON object (tags, name, digest, source_type, source, schema, profile),
      n1 = position

    Unordered: the caller orders model inputs and datasets by position and outputs by (step, model_id).
    """
    if not run_ids:
        return []
    dialect = conn.dialect.name
    if len(run_ids) == 1:
        stmt, params = _select_details(False, dialect), {"run_id": run_ids[0]}
    else:
        stmt, params = _select_details(True, dialect), {"ids": ids_value(conn, run_ids)}
    return _fetch(conn.execute(stmt, params))


def search_runs(
    conn: Connection, stmt: Any, offset: int, limit: int, params: dict[str, Any] | None = None
) -> list[Row[Any]]:
    """Execute a search statement for `limit` rows from `offset` (search/page_cursor.paginate asks for one
    more than a page). `params` binds what the statement leaves open (the grantees of a restricted search)."""
    return list(conn.execute(stmt.offset(offset).limit(limit), params or {}))
