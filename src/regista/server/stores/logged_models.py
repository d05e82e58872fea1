"""SQL for MLflow 3 logged models, their params, tags and metrics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from regista.server.db.models import (
    Experiment,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelParam,
    LoggedModelTag,
)
from regista.server.stores.dialect import upsert


def find_logged_model(conn: Connection, model_id: str) -> Row | None:  # type: ignore[type-arg]
    """The logged model's row (model_id, experiment_id, artifact_location, source_run_id, ...) or None."""
    return conn.execute(select(LoggedModel).where(LoggedModel.model_id == model_id)).first()


def experiment_location(conn: Connection, experiment_id: int) -> tuple[str, str] | None:
    row = conn.execute(
        select(Experiment.lifecycle_stage, Experiment.artifact_location).where(
            Experiment.experiment_id == experiment_id
        )
    ).first()
    return None if row is None else (row[0], row[1])


def insert_logged_model(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(LoggedModel), values)


def update_logged_model(conn: Connection, model_id: str, **values: Any) -> None:
    conn.execute(update(LoggedModel).where(LoggedModel.model_id == model_id).values(**values))


def set_params(conn: Connection, model_id: str, params: Sequence[tuple[str, str]]) -> None:
    if params:
        rows = [{"model_id": model_id, "key": k, "value": v} for k, v in dict(params).items()]
        conn.execute(upsert(conn, LoggedModelParam, ["model_id", "key"], ["value"]), rows)


def set_tags(conn: Connection, model_id: str, tags: Sequence[tuple[str, str]]) -> None:
    if tags:
        rows = [{"model_id": model_id, "key": k, "value": v} for k, v in dict(tags).items()]
        conn.execute(upsert(conn, LoggedModelTag, ["model_id", "key"], ["value"]), rows)


def delete_tag(conn: Connection, model_id: str, key: str) -> int:
    result = conn.execute(
        delete(LoggedModelTag).where(LoggedModelTag.model_id == model_id, LoggedModelTag.key == key)
    )
    return int(result.rowcount or 0)


def _grouped(rows: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        out[row[0]].append(row)
    return out


def details_for(conn: Connection, model_ids: Sequence[str]) -> tuple[dict[str, list[Any]], ...]:
    """(params, tags, metrics) of many models, three queries whatever their number."""
    if not model_ids:
        return {}, {}, {}
    ids = list(model_ids)
    params = _grouped(
        conn.execute(
            select(LoggedModelParam.model_id, LoggedModelParam.key, LoggedModelParam.value)
            .where(LoggedModelParam.model_id.in_(ids))
            .order_by(LoggedModelParam.model_id, LoggedModelParam.key)
        )
    )
    tags = _grouped(
        conn.execute(
            select(LoggedModelTag.model_id, LoggedModelTag.key, LoggedModelTag.value)
            .where(LoggedModelTag.model_id.in_(ids))
            .order_by(LoggedModelTag.model_id, LoggedModelTag.key)
        )
    )
    m = LoggedModelMetric
    metrics = _grouped(
        conn.execute(
            select(
                m.model_id,
                m.key,
                m.value,
                m.is_nan,
                m.timestamp,
                m.step,
                m.run_id,
                m.dataset_name,
                m.dataset_digest,
            )
            .where(m.model_id.in_(ids))
            .order_by(m.model_id, m.key, m.step, m.timestamp)
        )
    )
    return params, tags, metrics


def search_logged_models(conn: Connection, stmt: Any, offset: int, limit: int) -> list[Row]:  # type: ignore[type-arg]
    return list(conn.execute(stmt.offset(offset).limit(limit + 1)))
