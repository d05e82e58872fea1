"""Dialect-specific statements the stores share: INSERT ... ON CONFLICT for SQLite and PostgreSQL.

Statements are cached per (dialect, table, columns): callers execute them with parameter dicts (a list of
dicts for a bulk insert), so nothing is rebuilt per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def _dialect_name(conn_or_dialect: Connection | str) -> str:
    return conn_or_dialect if isinstance(conn_or_dialect, str) else conn_or_dialect.dialect.name


def _insert(dialect: str, table: Any) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@cache
def _insert_ignore(dialect: str, table: Any) -> Any:
    return _insert(dialect, table).on_conflict_do_nothing()


def insert_ignore(conn: Connection | str, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (executed with a list of dicts for a bulk insert)."""
    return _insert_ignore(_dialect_name(conn), table)


@cache
def _upsert(dialect: str, table: Any, keys: tuple[str, ...], update_cols: tuple[str, ...]) -> Any:
    return upsert_where(dialect, table, keys, update_cols, None)


def upsert(conn: Connection | str, table: Any, keys: Sequence[str], update_cols: Sequence[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET col = excluded.col (cached)."""
    return _upsert(_dialect_name(conn), table, tuple(keys), tuple(update_cols))


def upsert_where(
    conn: Connection | str, table: Any, keys: Sequence[str], update_cols: Sequence[str], where: Any
) -> Any:
    """Like upsert, with `where(excluded)` guarding the update. Not cached: the caller caches it."""
    stmt = _insert(_dialect_name(conn), table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: getattr(stmt.excluded, c) for c in update_cols},
        where=where(stmt.excluded) if where is not None else None,
    )
