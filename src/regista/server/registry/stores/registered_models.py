"""SQL for registered models: lookup, insert, update, delete, version-number allocation, search pages
and the latest version per stage.

Fixed-shape statements are built once (cached factories with bind parameters) and executed with
parameters: building a Core statement costs several times more than executing a cached one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    func,
    select,
    union_all,
    update,
)

from regista.errors import NotFound
from regista.server.db.dialect import insert_ignore
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import ModelVersion, RegisteredModel
from regista.server.db.prepared import Prepared
from regista.server.search.keyset import key_columns

# Every stage a version can be in (the registry stores no internal tombstone stage).
ALL_STAGES = ("None", "Staging", "Production", "Archived")


def not_found(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


@cache
def _by_name(for_update: bool) -> Prepared:
    stmt = select(RegisteredModel).where(RegisteredModel.name == bindparam("name"))
    return Prepared(stmt.with_for_update() if for_update else stmt)


def find_registered_model(conn: Connection, name: str, *, for_update: bool = False) -> Any | None:
    """The model's row or None. `for_update` locks it on PostgreSQL (SQLite already holds the write lock)."""
    return _by_name(for_update).first(conn, {"name": name})


_BY_ID = Prepared(select(RegisteredModel).where(RegisteredModel.id == bindparam("rm_id")))


def find_registered_model_by_id(conn: Connection, rm_id: int) -> Any | None:
    """The model's row by its numeric id (the id the Databricks permissions API addresses), or None."""
    return _BY_ID.first(conn, {"rm_id": rm_id})


def get_registered_model(conn: Connection, name: str, *, for_update: bool = False) -> Any:
    row = find_registered_model(conn, name, for_update=for_update)
    if row is None:
        raise not_found(name)
    return row


_INSERT_COLUMNS = ("name", "creation_time", "last_updated_time", "description", "user_id", "next_version")


@cache
def _insert(dialect: str) -> Prepared:
    stmt = insert_ignore(dialect, RegisteredModel).values({c: bindparam(c) for c in _INSERT_COLUMNS})
    return Prepared(stmt.returning(RegisteredModel.id))


def insert_registered_model(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert a model; its id, or None when the name is taken (no exception, so the transaction lives)."""
    return _insert(conn.dialect.name).scalar(conn, {c: values.get(c) for c in _INSERT_COLUMNS})


def update_registered_model(conn: Connection, rm_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(RegisteredModel).where(RegisteredModel.id == rm_id).values(values))


_TOUCH = Prepared(
    update(RegisteredModel)
    .where(RegisteredModel.id == bindparam("rm_id"))
    .values(last_updated_time=bindparam("now"))
)


def touch_registered_model(conn: Connection, rm_id: int, now: int) -> None:
    """Bump last_updated_time (a version of the model changed)."""
    _TOUCH.execute(conn, {"rm_id": rm_id, "now": now})


def delete_registered_model(conn: Connection, rm_id: int) -> None:
    """Delete the model; versions, their tags, the model's tags and aliases go with it (ON DELETE CASCADE)."""
    conn.execute(delete(RegisteredModel).where(RegisteredModel.id == rm_id))


_ALLOCATE = Prepared(
    update(RegisteredModel)
    .where(RegisteredModel.name == bindparam("rm_name"))
    .values(next_version=RegisteredModel.next_version + 1, last_updated_time=bindparam("now"))
    .returning(RegisteredModel.id, RegisteredModel.next_version)
)


def allocate_version(conn: Connection, name: str, now: int) -> tuple[int, int] | None:
    """Atomically hand out the model's next version number: (registered_model_id, version), or None
    when there is no such model. The UPDATE row-locks the model until commit on PostgreSQL; on SQLite
    the request already holds the database write lock (BEGIN IMMEDIATE). The counter never goes back,
    so numbers of deleted versions are never reused."""
    row = _ALLOCATE.first(conn, {"rm_name": name, "now": now})
    if row is None:
        return None
    return int(row[0]), int(row[1]) - 1


@cache
def _stages() -> Any:
    return (
        select(ModelVersion.current_stage)
        .where(ModelVersion.registered_model_id == bindparam("rm_id"))
        .distinct()
    )


def version_stages(conn: Connection, rm_id: int) -> set[str]:
    """The distinct stages the model's versions are in."""
    return {r[0] for r in conn.execute(_stages(), {"rm_id": rm_id})}


def _latest_of_many_statement(dialect: str, with_stages: bool) -> Any:
    conds = [in_ids(ModelVersion.registered_model_id, dialect, "rm_ids", integers=True)]
    if with_stages:
        conds.append(in_ids(ModelVersion.current_stage, dialect, "stages"))
    top = (
        select(
            ModelVersion.registered_model_id.label("rm_id"),
            func.max(ModelVersion.version).label("version"),
        )
        .where(*conds)
        .group_by(ModelVersion.registered_model_id, ModelVersion.current_stage)
        .subquery()
    )
    return select(ModelVersion).join(
        top, and_(ModelVersion.registered_model_id == top.c.rm_id, ModelVersion.version == top.c.version)
    )


_LATEST_OF_MANY = {
    False: Prepared(lambda dialect: _latest_of_many_statement(dialect, False)),
    True: Prepared(lambda dialect: _latest_of_many_statement(dialect, True)),
}


@cache
def _latest_of_one(stages: tuple[str, ...]) -> Prepared:
    """One index seek per stage (ORDER BY version DESC LIMIT 1 on (registered_model_id, current_stage,
    version)), however many versions the model has."""
    rm_id: BindParameter[int] = bindparam("rm_id")
    seeks = [
        select(
            select(ModelVersion.version)
            .where(ModelVersion.registered_model_id == rm_id, ModelVersion.current_stage == stage)
            .order_by(ModelVersion.version.desc())
            .limit(1)
            .subquery()
        )
        for stage in stages
    ]
    return Prepared(
        select(ModelVersion).where(
            ModelVersion.registered_model_id == rm_id, ModelVersion.version.in_(union_all(*seeks))
        )
    )


def latest_versions(conn: Connection, rm_ids: Sequence[int], stages: Sequence[str] | None = None) -> list[Any]:
    """The highest version per (model, stage) for the given models, in one query."""
    if not rm_ids:
        return []
    if len(rm_ids) == 1:
        # registered-models/get, called before nearly every client mutation: the seek form.
        wanted = tuple(s for s in ALL_STAGES if stages is None or s in stages)
        if not wanted:
            return []
        return _latest_of_one(wanted).rows(conn, {"rm_id": rm_ids[0]})
    params: dict[str, Any] = {"rm_ids": ids_value(conn, rm_ids)}
    if stages is not None:
        params["stages"] = ids_value(conn, list(stages))
    return _LATEST_OF_MANY[stages is not None].rows(conn, params)


def search_registered_models(
    conn: Connection,
    where: ColumnElement[bool] | None,
    order_by: list[Any],
    offset: int,
    limit: int,
    visible: ColumnElement[bool] | None = None,
    grantees: Any = None,
    seek: ColumnElement[bool] | None = None,
) -> list[Row[Any]]:
    """A page of models. `visible` (registered_models_filter.readable_models) restricts it to the models
    the grantees may read, inside the query so that offsets (page cursors) count only visible rows; it
    binds `grantees` (visibility.grantees_value). Rows carry their sort keys and `seek` starts the page
    after a position (search/keyset.py)."""
    stmt = select(RegisteredModel)
    if where is not None:
        stmt = stmt.where(where)
    params: dict[str, Any] = {}
    if visible is not None:
        stmt = stmt.where(visible)
        params["grantees"] = grantees
    if seek is not None:
        stmt = stmt.where(seek)
    stmt = stmt.add_columns(*key_columns(order_by)).order_by(*order_by).offset(offset).limit(limit)
    return list(conn.execute(stmt, params))
