"""Bulk INSERT ... ON CONFLICT of many rows of fixed columns, built once per dialect (the log-batch hot path).

Executing a Core insert with a list of dicts costs SQLAlchemy a parameter-processing pass per row, and
psycopg's executemany a pipelined statement per row. Instead:

- SQLite: the statement is compiled once and run through the driver's executemany (a C loop) with tuples.
- PostgreSQL: one `INSERT ... SELECT unnest(:col1), unnest(:col2), ... ON CONFLICT ...` statement whatever
  the number of rows, with one array parameter per column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Connection, Float, Integer, Text, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

_ARRAY_TYPES = ((Boolean, Boolean), (BigInteger, BigInteger), (Integer, BigInteger), (Float, Float))


def _array_item_type(column_type: Any) -> Any:
    # Text rather than VARCHAR(n): an explicit cast to VARCHAR(n) would silently truncate over-long values,
    # whereas the assignment into the column refuses them as a plain insert does.
    for sa_type, item in _ARRAY_TYPES:
        if isinstance(column_type, sa_type):
            return item()
    return Text()


class BulkInsert:
    """INSERT INTO table (columns) of many rows; `conflict` is None, "nothing", or (keys, update_cols, where).

    `columns` must follow the table's column order; rows are tuples in that order.

    `where`, when given, is a function of the `excluded` pseudo-table returning the DO UPDATE condition.
    """

    __slots__ = ("_built", "columns", "conflict", "table")

    def __init__(
        self,
        table: Any,
        columns: Sequence[str],
        conflict: None | str | tuple[Sequence[str], Sequence[str], Callable[[Any], Any] | None] = None,
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        # Rows are passed straight to the driver, and SQLAlchemy renders an INSERT's columns in table order.
        order = [c.name for c in table.__table__.columns if c.name in self.columns]
        if list(self.columns) != order:
            raise ValueError(f"BulkInsert columns must follow the table's column order: {order}")
        self.conflict = conflict
        self._built: dict[str, Any] = {}

    def _on_conflict(self, stmt: Any) -> Any:
        if self.conflict is None:
            return stmt
        if self.conflict == "nothing":
            return stmt.on_conflict_do_nothing()
        keys, update_cols, where = self.conflict  # type: ignore[misc]
        return stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: getattr(stmt.excluded, c) for c in update_cols},
            where=where(stmt.excluded) if where is not None else None,
        )

    def _build(self, conn: Connection) -> Any:
        dialect = conn.dialect
        if dialect.name == "postgresql":
            table = self.table.__table__
            arrays = [
                func.unnest(bindparam(c, type_=postgresql.ARRAY(_array_item_type(table.c[c].type))))
                for c in self.columns
            ]
            stmt = self._on_conflict(
                postgresql.insert(self.table).from_select(list(self.columns), select(*arrays))
            )
            built: Any = ("postgresql", stmt)
        else:
            stmt = self._on_conflict(sqlite.insert(self.table))
            compiled = stmt.compile(dialect=dialect, column_keys=list(self.columns))
            if tuple(compiled.positiontup or ()) != self.columns:  # pragma: no cover - guarded in __init__
                raise ValueError(f"unexpected parameter order {compiled.positiontup} for {self.columns}")
            built = ("sqlite", compiled.string)
        self._built[dialect.name] = built
        return built

    def execute(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert `rows` (tuples in `columns` order) in one statement (PostgreSQL) or one executemany."""
        if not rows:
            return
        built = self._built.get(conn.dialect.name) or self._build(conn)
        if built[0] == "postgresql":
            conn.execute(built[1], dict(zip(self.columns, map(list, zip(*rows)))))
            return
        conn.exec_driver_sql(built[1], rows if isinstance(rows, list) else list(rows))
