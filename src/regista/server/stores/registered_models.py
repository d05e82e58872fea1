"""SQL for registered models: lookup, insert, update, delete, version-number allocation, search pages
and the latest version per stage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, delete, func, select, union_all, update

from regista.errors import NotFound
from regista.server.db.models import ModelVersion, RegisteredModel
from regista.server.stores.registry_common import insert_ignore

# Every stage a version can be in (the registry stores no internal tombstone stage).
ALL_STAGES = ("None", "Staging", "Production", "Archived")


def not_found(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


def find_registered_model(conn: Connection, name: str, *, for_update: bool = False) -> Row[Any] | None:
    """The model's row or None. `for_update` locks it on PostgreSQL (SQLite already holds the write lock)."""
    stmt = select(RegisteredModel).where(RegisteredModel.name == name)
    if for_update:
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def get_registered_model(conn: Connection, name: str, *, for_update: bool = False) -> Row[Any]:
    row = find_registered_model(conn, name, for_update=for_update)
    if row is None:
        raise not_found(name)
    return row


def insert_registered_model(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert a model; its id, or None when the name is taken (no exception, so the transaction lives)."""
    return insert_ignore(conn, RegisteredModel, values, ["name"], RegisteredModel.id)


def update_registered_model(conn: Connection, rm_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(RegisteredModel).where(RegisteredModel.id == rm_id).values(values))


def delete_registered_model(conn: Connection, rm_id: int) -> None:
    """Delete the model; versions, their tags, the model's tags and aliases go with it (ON DELETE CASCADE)."""
    conn.execute(delete(RegisteredModel).where(RegisteredModel.id == rm_id))


def allocate_version(conn: Connection, name: str, now: int) -> tuple[int, int] | None:
    """Atomically hand out the model's next version number: (registered_model_id, version), or None
    when there is no such model. The UPDATE row-locks the model until commit on PostgreSQL; on SQLite
    the request already holds the database write lock (BEGIN IMMEDIATE). The counter never goes back,
    so numbers of deleted versions are never reused."""
    row = conn.execute(
        update(RegisteredModel)
        .where(RegisteredModel.name == name)
        .values(next_version=RegisteredModel.next_version + 1, last_updated_time=now)
        .returning(RegisteredModel.id, RegisteredModel.next_version)
    ).first()
    if row is None:
        return None
    return int(row[0]), int(row[1]) - 1


def version_stages(conn: Connection, rm_id: int) -> set[str]:
    """The distinct stages the model's versions are in."""
    rows = conn.execute(
        select(ModelVersion.current_stage).where(ModelVersion.registered_model_id == rm_id).distinct()
    )
    return {r[0] for r in rows}


def latest_versions(conn: Connection, rm_ids: Sequence[int], stages: Sequence[str] | None = None) -> list[Row[Any]]:
    """The highest version per (model, stage) for the given models, in one query: a GROUP BY over the
    (registered_model_id, current_stage, version) index joined back to the version rows."""
    if not rm_ids:
        return []
    if len(rm_ids) == 1:
        return _latest_versions_of_one(conn, rm_ids[0], stages)
    conds = [ModelVersion.registered_model_id.in_(rm_ids)]
    if stages is not None:
        conds.append(ModelVersion.current_stage.in_(stages))
    top = (
        select(
            ModelVersion.registered_model_id.label("rm_id"),
            func.max(ModelVersion.version).label("version"),
        )
        .where(*conds)
        .group_by(ModelVersion.registered_model_id, ModelVersion.current_stage)
        .subquery()
    )
    stmt = select(ModelVersion).join(
        top, and_(ModelVersion.registered_model_id == top.c.rm_id, ModelVersion.version == top.c.version)
    )
    return list(conn.execute(stmt))


def _latest_versions_of_one(conn: Connection, rm_id: int, stages: Sequence[str] | None) -> list[Row[Any]]:
    """One model (registered-models/get, before nearly every client mutation): one index seek per stage
    (ORDER BY version DESC LIMIT 1 on (registered_model_id, current_stage, version)), however many
    versions the model has."""
    seeks = [
        select(
            select(ModelVersion.version)
            .where(ModelVersion.registered_model_id == rm_id, ModelVersion.current_stage == stage)
            .order_by(ModelVersion.version.desc())
            .limit(1)
            .subquery()
        )
        for stage in (stages if stages is not None else ALL_STAGES)
    ]
    stmt = select(ModelVersion).where(
        ModelVersion.registered_model_id == rm_id, ModelVersion.version.in_(union_all(*seeks))
    )
    return list(conn.execute(stmt))


def search_registered_models(
    conn: Connection, where: ColumnElement[bool] | None, order_by: list[Any], offset: int, limit: int
) -> list[Row[Any]]:
    stmt = select(RegisteredModel)
    if where is not None:
        stmt = stmt.where(where)
    stmt = stmt.order_by(*order_by).offset(offset).limit(limit)
    return list(conn.execute(stmt))
