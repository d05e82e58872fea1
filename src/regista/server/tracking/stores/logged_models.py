"""SQL for MLflow 3 logged models, their params, tags and metrics.

Fixed-shape statements are built once (cached factories with bind parameters) and executed with parameters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, bindparam, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.bulk import BulkInsert
from regista.server.db.models import (
    LoggedModel,
    LoggedModelMetric,
    LoggedModelParam,
    LoggedModelTag,
)

_UPSERT_PARAMS = BulkInsert(
    LoggedModelParam, ("model_id", "key", "value"), (("model_id", "key"), ("value",), None)
)
_UPSERT_TAGS = BulkInsert(
    LoggedModelTag, ("model_id", "key", "value"), (("model_id", "key"), ("value",), None)
)


# MLflow's not-found messages, built once (the mlflow client and users match them).
def not_found(model_id: str) -> NotFound:
    return NotFound(f"Logged model with ID '{model_id}' not found.")


def tag_not_found(model_id: str, key: str) -> NotFound:
    return NotFound(f"No tag with key {key!r} found for model with ID {model_id!r}.")


@cache
def _select_model() -> Any:
    return select(LoggedModel).where(LoggedModel.model_id == bindparam("model_id"))


def find_logged_model(conn: Connection, model_id: str) -> Row[Any] | None:
    """The logged model's row (model_id, experiment_id, artifact_location, source_run_id, ...) or None."""
    return conn.execute(_select_model(), {"model_id": model_id}).first()


@cache
def _insert_model() -> Any:
    return insert(LoggedModel)


def insert_logged_model(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_insert_model(), values)


@cache
def _update_model(columns: tuple[str, ...]) -> Any:
    # Bind names must differ from column names in an UPDATE's SET clause.
    return (
        update(LoggedModel)
        .where(LoggedModel.model_id == bindparam("match_id"))
        .values({c: bindparam(f"new_{c}") for c in columns})
    )


def update_logged_model(conn: Connection, model_id: str, **values: Any) -> None:
    params = {f"new_{c}": v for c, v in values.items()}
    params["match_id"] = model_id
    conn.execute(_update_model(tuple(sorted(values))), params)


def set_params(conn: Connection, model_id: str, params: Sequence[tuple[str, str]]) -> None:
    if params:
        _UPSERT_PARAMS.execute(conn, [(model_id, k, v) for k, v in dict(params).items()])


def set_tags(conn: Connection, model_id: str, tags: Sequence[tuple[str, str]]) -> None:
    if tags:
        _UPSERT_TAGS.execute(conn, [(model_id, k, v) for k, v in dict(tags).items()])


@cache
def _delete_tag() -> Any:
    return delete(LoggedModelTag).where(
        LoggedModelTag.model_id == bindparam("model_id"), LoggedModelTag.key == bindparam("key")
    )


def delete_tag(conn: Connection, model_id: str, key: str) -> int:
    result = conn.execute(_delete_tag(), {"model_id": model_id, "key": key})
    return int(result.rowcount or 0)


def _grouped(rows: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        out[row[0]].append(row)
    return out


@cache
def _select_details() -> tuple[Any, Any, Any]:
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    params = (
        select(LoggedModelParam.model_id, LoggedModelParam.key, LoggedModelParam.value)
        .where(LoggedModelParam.model_id.in_(ids))
        .order_by(LoggedModelParam.model_id, LoggedModelParam.key)
    )
    tags = (
        select(LoggedModelTag.model_id, LoggedModelTag.key, LoggedModelTag.value)
        .where(LoggedModelTag.model_id.in_(ids))
        .order_by(LoggedModelTag.model_id, LoggedModelTag.key)
    )
    m = LoggedModelMetric
    metrics = (
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
    return params, tags, metrics


def details_for(conn: Connection, model_ids: Sequence[str]) -> tuple[dict[str, list[Any]], ...]:
    """(params, tags, metrics) of many models, three queries whatever their number."""
    if not model_ids:
        return {}, {}, {}
    bind = {"ids": list(model_ids)}
    return tuple(_grouped(conn.execute(stmt, bind)) for stmt in _select_details())


def search_logged_models(
    conn: Connection, stmt: Any, offset: int, limit: int, params: dict[str, Any] | None = None
) -> list[Row[Any]]:
    """`limit` rows from `offset` (paginate asks for one more than a page); `params` binds the grantees of a
    visibility-restricted search."""
    return list(conn.execute(stmt.offset(offset).limit(limit), params or {}))
