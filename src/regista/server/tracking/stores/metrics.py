"""SQL for metric history, the latest value per (run, key), and metrics attached to logged models.

Statements are built once (cached factories / BulkInsert) and executed with parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, tuple_

from regista.server.db.bulk import BulkInsert
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import LatestMetric, LoggedModel, LoggedModelMetric, Metric

METRIC_COLUMNS = (
    "run_uuid",
    "key",
    "step",
    "timestamp",
    "value",
    "is_nan",
    "model_id",
    "dataset_name",
    "dataset_digest",
)
LATEST_COLUMNS = ("run_uuid", "key", "value", "timestamp", "step", "is_nan")
LOGGED_MODEL_METRIC_COLUMNS = (
    "model_id",
    "key",
    "step",
    "timestamp",
    "value",
    "is_nan",
    "run_id",
    "dataset_name",
    "dataset_digest",
)

_INSERT_METRICS = BulkInsert(Metric, METRIC_COLUMNS, "nothing")
# A row replaces the stored latest value only when its (step, timestamp, value) is greater.
_UPSERT_LATEST = BulkInsert(
    LatestMetric,
    LATEST_COLUMNS,
    (
        ("run_uuid", "key"),
        ("value", "timestamp", "step", "is_nan"),
        lambda excluded: (
            tuple_(excluded.step, excluded.timestamp, excluded.value)
            > tuple_(LatestMetric.step, LatestMetric.timestamp, LatestMetric.value)
        ),
    ),
)
_INSERT_LOGGED_MODEL_METRICS = BulkInsert(LoggedModelMetric, LOGGED_MODEL_METRIC_COLUMNS, "nothing")


def insert_metrics(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk insert history rows (tuples in METRIC_COLUMNS order); an identical row already logged is
    skipped (log_model re-sends them)."""
    _INSERT_METRICS.execute(conn, rows)


def upsert_latest(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk upsert latest_metrics (tuples in LATEST_COLUMNS order), replacing a row only by a more recent
    (step, timestamp, value).

    `rows` must hold at most one row per (run_uuid, key): PostgreSQL refuses to update a row twice in
    one INSERT ... ON CONFLICT DO UPDATE.
    """
    _UPSERT_LATEST.execute(conn, rows)


@cache
def _existing_logged_models() -> Any:
    return select(LoggedModel.model_id, LoggedModel.experiment_id).where(
        LoggedModel.model_id.in_(bindparam("ids", expanding=True))
    )


def existing_logged_models(conn: Connection, model_ids: Sequence[str]) -> dict[str, int]:
    """{model_id: experiment_id} of the ids that name logged models."""
    if not model_ids:
        return {}
    return {m: e for m, e in conn.execute(_existing_logged_models(), {"ids": list(model_ids)})}


def insert_logged_model_metrics(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Tuples in LOGGED_MODEL_METRIC_COLUMNS order."""
    _INSERT_LOGGED_MODEL_METRICS.execute(conn, rows)


@cache
def _metric_history(limited: bool) -> Any:
    stmt = (
        select(
            Metric.key,
            Metric.value,
            Metric.timestamp,
            Metric.step,
            Metric.is_nan,
            Metric.model_id,
            Metric.dataset_name,
            Metric.dataset_digest,
        )
        .where(Metric.run_uuid == bindparam("run_id"), Metric.key == bindparam("key"))
        .order_by(Metric.step, Metric.timestamp, Metric.value)
        .offset(bindparam("offset"))
    )
    return stmt.limit(bindparam("limit")) if limited else stmt


def metric_history(conn: Connection, run_id: str, key: str, offset: int, limit: int | None) -> list[Row[Any]]:
    """History of one metric ordered by (step, timestamp): `limit` rows from `offset`, or all without a limit."""
    params: dict[str, Any] = {"run_id": run_id, "key": key, "offset": offset}
    if limit is not None:
        params["limit"] = limit
    return list(conn.execute(_metric_history(limit is not None), params))


@cache
def _metric_history_bulk(dialect: str) -> Any:
    return (
        select(Metric.run_uuid, Metric.key, Metric.value, Metric.timestamp, Metric.step, Metric.is_nan)
        .where(Metric.key == bindparam("key"), in_ids(Metric.run_uuid, dialect))
        .order_by(Metric.run_uuid, Metric.timestamp, Metric.step, Metric.value)
        .limit(bindparam("limit"))
    )


def metric_history_bulk(conn: Connection, run_ids: Sequence[str], key: str, limit: int) -> list[Row[Any]]:
    """Up to `limit` points of one metric over several runs, ordered by run id, timestamp, step, value."""
    params = {"key": key, "ids": ids_value(conn, run_ids), "limit": limit}
    return list(conn.execute(_metric_history_bulk(conn.dialect.name), params))
