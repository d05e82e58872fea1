"""SQL for catalogs and schemas, and the one lookup of a securable with its parents (the ids and owners the
privilege checks need, in one query)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.catalog.stores.privileges import GRANTEES, grantees_value
from regista.server.db.models import UcCatalog, UcModel, UcSchema


def catalog_not_found(name: str) -> NotFound:
    return NotFound(f"Catalog '{name}' does not exist.")


def schema_not_found(full_name: str) -> NotFound:
    return NotFound(f"Schema '{full_name}' does not exist.")


_CATALOG_COLS = (
    UcCatalog.id, UcCatalog.name, UcCatalog.comment, UcCatalog.owner_id, UcCatalog.created_at,
    UcCatalog.created_by, UcCatalog.updated_at, UcCatalog.updated_by,
)
_SCHEMA_COLS = (
    UcSchema.id, UcSchema.name, UcSchema.comment, UcSchema.owner_id, UcSchema.created_at, UcSchema.created_by,
    UcSchema.updated_at, UcSchema.updated_by, UcSchema.catalog_id,
    UcCatalog.name.label("catalog_name"), UcCatalog.owner_id.label("catalog_owner_id"),
)


def find_catalog(conn: Connection, name: str) -> Any | None:
    return conn.execute(select(*_CATALOG_COLS).where(UcCatalog.name == name)).first()


def find_schema(conn: Connection, catalog: str, schema: str) -> Any | None:
    stmt = (
        select(*_SCHEMA_COLS)
        .join(UcCatalog, UcCatalog.id == UcSchema.catalog_id)
        .where(UcCatalog.name == catalog, UcSchema.name == schema)
    )
    return conn.execute(stmt).first()


def insert_catalog(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(UcCatalog).values(**values).returning(UcCatalog.id)).scalar_one())


def insert_schema(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(UcSchema).values(**values).returning(UcSchema.id)).scalar_one())


def update_catalog(conn: Connection, catalog_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(UcCatalog).where(UcCatalog.id == catalog_id).values(**values))


def update_schema(conn: Connection, schema_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(UcSchema).where(UcSchema.id == schema_id).values(**values))


def delete_catalog(conn: Connection, catalog_id: int) -> None:
    conn.execute(delete(UcCatalog).where(UcCatalog.id == catalog_id))


def delete_schema(conn: Connection, schema_id: int) -> None:
    conn.execute(delete(UcSchema).where(UcSchema.id == schema_id))


def count_schemas(conn: Connection, catalog_id: int) -> int:
    return int(conn.execute(select(func.count()).where(UcSchema.catalog_id == catalog_id)).scalar_one())


def count_models(conn: Connection, schema_id: int) -> int:
    return int(conn.execute(select(func.count()).where(UcModel.schema_id == schema_id)).scalar_one())


def contents_of_catalog(conn: Connection, catalog_id: int) -> tuple[list[int], list[int]]:
    """(schema ids, model ids) inside a catalog: their grants go when it is deleted."""
    schema_ids = list(conn.execute(select(UcSchema.id).where(UcSchema.catalog_id == catalog_id)).scalars())
    model_ids = list(
        conn.execute(
            select(UcModel.id).join(UcSchema, UcSchema.id == UcModel.schema_id).where(UcSchema.catalog_id == catalog_id)
        ).scalars()
    )
    return schema_ids, model_ids


def model_ids_of_schema(conn: Connection, schema_id: int) -> list[int]:
    return list(conn.execute(select(UcModel.id).where(UcModel.schema_id == schema_id)).scalars())


def _paged(conn: Connection, stmt: Any, visible: ColumnElement[bool] | None, grantee_ids: Sequence[int],
           offset: int, limit: int | None) -> list[Any]:
    params: dict[str, Any] = {}
    if visible is not None:
        stmt = stmt.where(visible)
        params[GRANTEES] = grantees_value(conn.dialect.name, grantee_ids)
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt, params).all())


def list_catalogs(conn: Connection, visible: ColumnElement[bool] | None, grantee_ids: Sequence[int],
                  offset: int, limit: int | None) -> list[Any]:
    """Catalogs by name; `visible` (privileges.catalog_listed) filters inside the query."""
    return _paged(conn, select(*_CATALOG_COLS).order_by(UcCatalog.name), visible, grantee_ids, offset, limit)


def list_schemas(conn: Connection, catalog_id: int, visible: ColumnElement[bool] | None,
                 grantee_ids: Sequence[int], offset: int, limit: int | None) -> list[Any]:
    stmt = (
        select(*_SCHEMA_COLS)
        .join(UcCatalog, UcCatalog.id == UcSchema.catalog_id)
        .where(UcSchema.catalog_id == catalog_id)
        .order_by(UcSchema.name)
    )
    return _paged(conn, stmt, visible, grantee_ids, offset, limit)
