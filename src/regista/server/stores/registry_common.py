"""SQL helpers shared by the registry stores: dialect-specific upserts and case-sensitive LIKE."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: Connection, table: Any, values: dict[str, Any] | list[dict[str, Any]],
           keys: list[str], update: list[str]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update-columns, on SQLite and PostgreSQL."""
    tbl: Table = table.__table__ if hasattr(table, "__table__") else table
    mod = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = mod.insert(tbl).values(values)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt)


def insert_ignore(conn: Connection, table: Any, values: dict[str, Any], keys: list[str], returning: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returning`; None when the row already existed."""
    tbl: Table = table.__table__
    mod = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = mod.insert(tbl).values(values).on_conflict_do_nothing(index_elements=keys).returning(returning)
    return conn.execute(stmt).scalar_one_or_none()


def _like_to_glob(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


def like(column: Any, pattern: str, dialect: str) -> ColumnElement[bool]:
    """Case-sensitive LIKE on both databases (SQLite's LIKE ignores ASCII case; its GLOB does not)."""
    if dialect == "sqlite":
        return column.op("GLOB")(_like_to_glob(pattern))
    return column.like(pattern)


def ilike(column: Any, pattern: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return column.ilike(pattern)
    return func.lower(column).like(func.lower(pattern))
