"""Dialect-specific statements the stores share: INSERT ... ON CONFLICT for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(conn: Connection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (executed with a list of dicts for a bulk insert)."""
    return _insert(conn, table).on_conflict_do_nothing()


def upsert(
    conn: Connection, table: Any, keys: Sequence[str], update_cols: Sequence[str], where: Any = None
) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET col = excluded.col [WHERE ...]."""
    stmt = _insert(conn, table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: getattr(stmt.excluded, c) for c in update_cols},
        where=where(stmt.excluded) if where is not None else None,
    )
