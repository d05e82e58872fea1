"""SQL for Unity Catalog registered models, their tags and their aliases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.catalog.stores.privileges import GRANTEES, grantees_value
from regista.server.db.dialect import upsert
from regista.server.db.models import UcCatalog, UcModel, UcModelAlias, UcModelTag, UcSchema


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


def find_model(conn: Connection, catalog: str, schema: str, name: str) -> Any | None:
    """The model with its schema's and catalog's ids and owners, or None."""
    stmt = _joined().where(UcCatalog.name == catalog, UcSchema.name == schema, UcModel.name == name)
    return conn.execute(stmt).first()


def insert_model(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(UcModel).values(**values).returning(UcModel.id)).scalar_one())


def update_model(conn: Connection, model_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(UcModel).where(UcModel.id == model_id).values(**values))


def delete_model(conn: Connection, model_id: int) -> None:
    conn.execute(delete(UcModel).where(UcModel.id == model_id))


def next_version(conn: Connection, model_id: int) -> int:
    """Hand out the model's next version number (atomic: concurrent creates never collide)."""
    stmt = (
        update(UcModel)
        .where(UcModel.id == model_id)
        .values(next_version=UcModel.next_version + 1)
        .returning(UcModel.next_version)
    )
    return int(conn.execute(stmt).scalar_one()) - 1


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

def tags_of(conn: Connection, model_ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    out: dict[int, dict[str, str | None]] = {}
    if not model_ids:
        return out
    stmt = (
        select(UcModelTag.model_id, UcModelTag.key, UcModelTag.value)
        .where(UcModelTag.model_id.in_(list(model_ids)))
        .order_by(UcModelTag.model_id, UcModelTag.key)
    )
    for model_id, key, value in conn.execute(stmt):
        out.setdefault(model_id, {})[key] = value
    return out


def set_tags(conn: Connection, model_id: int, tags: dict[str, str | None]) -> None:
    if tags:
        conn.execute(
            upsert(conn, UcModelTag, ["model_id", "key"], ["value"]),
            [{"model_id": model_id, "key": k, "value": v} for k, v in tags.items()],
        )


def delete_tag(conn: Connection, model_id: int, key: str) -> bool:
    result = conn.execute(delete(UcModelTag).where(UcModelTag.model_id == model_id, UcModelTag.key == key))
    return bool(result.rowcount)


# -- aliases ----------------------------------------------------------------------------------------------

def aliases_of(conn: Connection, model_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {}
    if not model_ids:
        return out
    stmt = (
        select(UcModelAlias.model_id, UcModelAlias.alias, UcModelAlias.version)
        .where(UcModelAlias.model_id.in_(list(model_ids)))
        .order_by(UcModelAlias.model_id, UcModelAlias.alias)
    )
    for model_id, alias, version in conn.execute(stmt):
        out.setdefault(model_id, []).append((alias, version))
    return out


def find_alias(conn: Connection, model_id: int, alias: str) -> int | None:
    stmt = select(UcModelAlias.version).where(UcModelAlias.model_id == model_id, UcModelAlias.alias == alias)
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def count_aliases(conn: Connection, model_id: int) -> int:
    return int(conn.execute(select(func.count()).where(UcModelAlias.model_id == model_id)).scalar_one())


def set_alias(conn: Connection, model_id: int, alias: str, version: int) -> None:
    conn.execute(
        upsert(conn, UcModelAlias, ["model_id", "alias"], ["version"]),
        {"model_id": model_id, "alias": alias, "version": version},
    )


def delete_alias(conn: Connection, model_id: int, alias: str) -> bool:
    stmt = delete(UcModelAlias).where(UcModelAlias.model_id == model_id, UcModelAlias.alias == alias)
    return bool(conn.execute(stmt).rowcount)


def delete_aliases_of_version(conn: Connection, model_id: int, version: int) -> None:
    conn.execute(delete(UcModelAlias).where(UcModelAlias.model_id == model_id, UcModelAlias.version == version))
