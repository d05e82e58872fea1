"""Statements compiled once per dialect and run straight on the driver connection (the hot paths).

SQLAlchemy's execution path (cache-key generation, parameter processing, result set-up) costs ~60-80 µs
a statement here, while SQLite answers an indexed lookup in under 10 µs. A Prepared statement is
compiled once per dialect to SQL text with named parameters (`:name` for sqlite3, `%(name)s` for
psycopg) and executed by the driver inside the request's transaction; rows come back as named tuples.
Use it for fixed-shape statements whose columns need no SQLAlchemy type processing (ints, strings,
floats; not booleans on SQLite, not expanding IN lists: pass lists with db/id_lists.py, whose form differs
by dialect, so such a statement is given as a function of the dialect name).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

# sqlite3 accepts named parameters natively; compiling for it avoids mapping to positions per call.
_SQLITE_NAMED = SQLiteDialect_pysqlite(paramstyle="named")


class Prepared:
    """One statement, compiled lazily per dialect; run it with `rows`, `first` or `execute`. `statement`
    is a SQLAlchemy statement, or a function building it for a dialect name (for dialect-specific forms
    such as db/id_lists.in_ids)."""

    __slots__ = ("_build", "_compiled", "_row_types")

    def __init__(self, statement: Any | Callable[[str], Any]) -> None:
        self._build: Callable[[str], Any] = statement if callable(statement) else (lambda _dialect: statement)
        self._compiled: dict[str, tuple[str, dict[str, Any]]] = {}
        # Named tuple classes made at run time from the cursor's column names: typed Any.
        self._row_types: dict[tuple[str, ...], Any] = {}

    def _compile(self, conn: Connection) -> tuple[str, dict[str, Any]]:
        name = conn.dialect.name
        compiled = self._compiled.get(name)
        if compiled is None:
            dialect = _SQLITE_NAMED if name == "sqlite" else conn.dialect
            c = self._build(name).compile(dialect=dialect)
            # Literal values inside the statement (LIMIT 1, constants) are anonymous bind parameters whose
            # values the compiled form carries; callers' parameters are merged over them.
            compiled = (c.string, dict(c.params))
            self._compiled[name] = compiled
        return compiled

    def execute(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        """Run the statement; the driver cursor."""
        sql, defaults = self._compile(conn)
        values = {**defaults, **params} if params else defaults
        # driver_connection is None only once the connection is closed.
        return conn.connection.driver_connection.execute(sql, values)  # type: ignore[union-attr]

    def _row_type(self, cursor: Any) -> Any:
        names = tuple(d[0] for d in cursor.description)
        row_type = self._row_types.get(names)
        if row_type is None:
            # A class made at run time from the cursor's column names, which mypy cannot follow.
            row_type = namedtuple("Row", names)  # type: ignore[misc, no-redef]  # noqa: PYI024
            self._row_types[names] = row_type
        return row_type

    def rows(self, conn: Connection, params: dict[str, Any] | None = None) -> list[Any]:
        cursor = self.execute(conn, params)
        data = cursor.fetchall()
        if not data:
            return []
        make = self._row_type(cursor)._make
        return [make(r) for r in data]

    def first(self, conn: Connection, params: dict[str, Any] | None = None) -> Any | None:
        cursor = self.execute(conn, params)
        row = cursor.fetchone()
        if row is None:
            return None
        row_type = self._row_type(cursor)
        cursor.fetchall()  # drain, so the cursor is finished (psycopg, RETURNING on SQLite)
        return row_type._make(row)

    def scalar(self, conn: Connection, params: dict[str, Any] | None = None) -> Any | None:
        row = self.execute(conn, params).fetchone()
        return None if row is None else row[0]
