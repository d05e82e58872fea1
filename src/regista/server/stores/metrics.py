"""SQL for metric history, the latest value per (run, key), and metrics attached to logged models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, select, tuple_

from regista.server.db.models import LatestMetric, LoggedModel, LoggedModelMetric, Metric
from regista.server.stores.dialect import insert_ignore, upsert_where


def insert_metrics(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert history rows; an identical row already logged is skipped (log_model re-sends them)."""
    if rows:
        conn.execute(insert_ignore(conn, Metric), list(rows))


def upsert_latest(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk upsert latest_metrics, replacing a row only by a more recent (step, timestamp, value).

    `rows` must hold at most one row per (run_uuid, key): PostgreSQL refuses to update a row twice in
    one INSERT ... ON CONFLICT DO UPDATE.
    """
    if not rows:
        return
    stmt = upsert_where(
        conn,
        LatestMetric,
        ["run_uuid", "key"],
        ["value", "timestamp", "step", "is_nan"],
        where=lambda excluded: (
            tuple_(excluded.step, excluded.timestamp, excluded.value)
            > tuple_(LatestMetric.step, LatestMetric.timestamp, LatestMetric.value)
        ),
    )
    conn.execute(stmt, list(rows))


def existing_logged_models(conn: Connection, model_ids: Sequence[str]) -> set[str]:
    if not model_ids:
        return set()
    return set(
        conn.execute(select(LoggedModel.model_id).where(LoggedModel.model_id.in_(list(model_ids)))).scalars()
    )


def insert_logged_model_metrics(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert_ignore(conn, LoggedModelMetric), list(rows))


def metric_history(conn: Connection, run_id: str, key: str, offset: int, limit: int | None) -> list[Row]:  # type: ignore[type-arg]
    """History of one metric ordered by (step, timestamp); limit+1 rows when a limit is given."""
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
        .where(Metric.run_uuid == run_id, Metric.key == key)
        .order_by(Metric.step, Metric.timestamp, Metric.value)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    return list(conn.execute(stmt))
