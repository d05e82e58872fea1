"""SQL for Unity Catalog registered models, their tags and their aliases. The statements every request on a
model runs (find it, its tags and aliases, next version, alias and tag writes) are Prepared (db/prepared.py):
compiled once and run on the driver, as the workspace registry's are."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.catalog.stores.privileges import GRANTEES, grantees_value
from regista.server.db.dialect import upsert
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import UcCatalog, UcModel, UcModelAlias, UcModelTag, UcSchema
from regista.server.db.prepared import Prepared


def not_found(full_name: str) -> NotFound:
    return NotFound(f"Registered model '{full_name}' does not exist.")


MODEL_COLS = (
    UcModel.id, UcModel.name, UcModel.comment, UcModel.owner_id, UcModel.created_at, UcModel.created_by,
    UcModel.updated_at, UcModel.updated_by, UcModel.schema_id,
    UcSchema.name.label("schema_name"), UcSchema.owner_id.label("schema_owner_id"), UcSchema.catalog_id,
    UcCatalog.name.label("catalog_name"), UcCatalog.owner_id.label("catalog_owner_id"),
)


def _joined() -> Any:
    return (
        select(*MODEL_COLS)
        .join(UcSchema, UcSchema.id == UcModel.schema_id)
        .join(UcCatalog, UcCatalog.id == UcSchema.catalog_id)
    )


_FIND = Prepared(_joined().where(
    UcCatalog.name == bindparam("catalog"), UcSchema.name == bindparam("schema"), UcModel.name == bindparam("name")
))


def find_model(conn: Connection, catalog: str, schema: str, name: str) -> Any | None:
    """The model with its schema's and catalog's ids and owners, or None."""
    return _FIND.first(conn, {"catalog": catalog, "schema": schema, "name": name})


def insert_model(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(UcModel).values(**values).returning(UcModel.id)).scalar_one())


def update_model(conn: Connection, model_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(UcModel).where(UcModel.id == model_id).values(**values))


_TOUCH = Prepared(update(UcModel).where(UcModel.id == bindparam("model_id")).values(
    updated_at=bindparam("updated_at"), updated_by=bindparam("updated_by")))


def touch_model(conn: Connection, model_id: int, updated_at: int, updated_by: str) -> None:
    """Stamp a change to the model's tags (who, when)."""
    _TOUCH.execute(conn, {"model_id": model_id, "updated_at": updated_at, "updated_by": updated_by})


def delete_model(conn: Connection, model_id: int) -> None:
    conn.execute(delete(UcModel).where(UcModel.id == model_id))


_NEXT_VERSION = Prepared(
    update(UcModel)
    .where(UcModel.id == bindparam("model_id"))
    .values(next_version=UcModel.next_version + 1)
    .returning(UcModel.next_version)
)


def next_version(conn: Connection, model_id: int) -> int:
    """Hand out the model's next version number (atomic: concurrent creates never collide)."""
    row = _NEXT_VERSION.first(conn, {"model_id": model_id})
    if row is None:  # deleted since the request found it
        raise NotFound(f"Registered model {model_id} no longer exists.")
    return int(row[0]) - 1


def search_models(
    conn: Connection,
    where: Sequence[ColumnElement[bool]],
    visible: ColumnElement[bool] | None,
    grantee_ids: Sequence[int],
    order_by: Sequence[Any],
    offset: int,
    limit: int | None,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """A page of models matching `where` (and `visible`, the caller's privileges, inside the query)."""
    stmt = _joined().where(*where)
    bind = dict(params or {})
    if visible is not None:
        stmt = stmt.where(visible)
        bind[GRANTEES] = grantees_value(conn.dialect.name, grantee_ids)
    stmt = stmt.order_by(*order_by).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt, bind).all())


# -- tags -----------------------------------------------------------------------------------------------

_TAGS = Prepared(
    lambda dialect: select(UcModelTag.model_id, UcModelTag.key, UcModelTag.value)
    .where(in_ids(UcModelTag.model_id, dialect, "model_ids", integers=True))
    .order_by(UcModelTag.model_id, UcModelTag.key)
)


def tags_of(conn: Connection, model_ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    out: dict[int, dict[str, str | None]] = {}
    if not model_ids:
        return out
    for model_id, key, value in _TAGS.execute(conn, {"model_ids": ids_value(conn, model_ids)}).fetchall():
        out.setdefault(model_id, {})[key] = value
    return out


@cache
def _set_tag(dialect: str) -> Prepared:
    return Prepared(upsert(dialect, UcModelTag, ["model_id", "key"], ["value"]).values(
        model_id=bindparam("model_id"), key=bindparam("key"), value=bindparam("value")))


def set_tags(conn: Connection, model_id: int, tags: dict[str, str | None]) -> None:
    statement = _set_tag(conn.dialect.name)
    for key, value in tags.items():
        statement.execute(conn, {"model_id": model_id, "key": key, "value": value})


def delete_tag(conn: Connection, model_id: int, key: str) -> bool:
    result = conn.execute(delete(UcModelTag).where(UcModelTag.model_id == model_id, UcModelTag.key == key))
    return bool(result.rowcount)


# -- aliases ----------------------------------------------------------------------------------------------

_ALIASES = Prepared(
    lambda dialect: select(UcModelAlias.model_id, UcModelAlias.alias, UcModelAlias.version)
    .where(in_ids(UcModelAlias.model_id, dialect, "model_ids", integers=True))
    .order_by(UcModelAlias.model_id, UcModelAlias.alias)
)


def aliases_of(conn: Connection, model_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {}
    if not model_ids:
        return out
    for model_id, alias, version in _ALIASES.execute(conn, {"model_ids": ids_value(conn, model_ids)}).fetchall():
        out.setdefault(model_id, []).append((alias, version))
    return out


_ALIAS = Prepared(select(UcModelAlias.version).where(
    UcModelAlias.model_id == bindparam("model_id"), UcModelAlias.alias == bindparam("alias")))
_COUNT_ALIASES = Prepared(select(func.count()).where(UcModelAlias.model_id == bindparam("model_id")))


def find_alias(conn: Connection, model_id: int, alias: str) -> int | None:
    value = _ALIAS.scalar(conn, {"model_id": model_id, "alias": alias})
    return None if value is None else int(value)


def count_aliases(conn: Connection, model_id: int) -> int:
    return int(_COUNT_ALIASES.scalar(conn, {"model_id": model_id}) or 0)


@cache
def _set_alias(dialect: str) -> Prepared:
    return Prepared(upsert(dialect, UcModelAlias, ["model_id", "alias"], ["version"]).values(
        model_id=bindparam("model_id"), alias=bindparam("alias"), version=bindparam("version")))


def set_alias(conn: Connection, model_id: int, alias: str, version: int) -> None:
    _set_alias(conn.dialect.name).execute(conn, {"model_id": model_id, "alias": alias, "version": version})


def delete_alias(conn: Connection, model_id: int, alias: str) -> bool:
    stmt = delete(UcModelAlias).where(UcModelAlias.model_id == model_id, UcModelAlias.alias == alias)
    return bool(conn.execute(stmt).rowcount)


def delete_aliases_of_version(conn: Connection, model_id: int, version: int) -> None:
    conn.execute(delete(UcModelAlias).where(UcModelAlias.model_id == model_id, UcModelAlias.version == version))
