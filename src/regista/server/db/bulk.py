"""Bulk INSERT ... ON CONFLICT of many rows of fixed columns, built once per dialect (the log-batch hot path).

Executing a Core insert with a list of dicts costs SQLAlchemy a parameter-processing pass per row, and
psycopg's executemany a pipelined statement per row. Instead:

- SQLite: the statement is compiled once and run through the driver's executemany (a C loop) with tuples.
- PostgreSQL: one `INSERT ... SELECT (e->>0)::type, ... FROM jsonb_array_elements(:rows) ON CONFLICT ...`
  statement whatever the number of rows, the rows travelling as one JSON array of arrays (orjson). Measured
  against one array parameter per column with unnest: a quarter of the client CPU (psycopg escapes every
  string of a text array in Python) and no slower in the server. Numbers go through their text spelling,
  which float8 reads back exactly (orjson writes the shortest round-tripping repr); non-finite floats,
  which JSON cannot hold, and -0.0, which a jsonb number loses, are sent as strings float8 reads
  ('Infinity', '-Infinity', 'NaN', '-0').
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Float,
    Integer,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

_CAST_TYPES = ((Boolean, Boolean), (BigInteger, BigInteger), (Integer, BigInteger), (Float, Float))


def _cast_type(column_type: Any) -> Any:
    # Text rather than VARCHAR(n): an explicit cast to VARCHAR(n) would silently truncate over-long values,
    # whereas the assignment into the column refuses them as a plain insert does.
    for sa_type, target in _CAST_TYPES:
        if isinstance(column_type, sa_type):
            return target()
    return Text()


def _json_float(value: Any) -> Any:
    """A float as JSON that float8 reads back as the same double (jsonb numbers lose infinities and -0.0)."""
    if value is None or (value != 0.0 and math.isfinite(value)):
        return value
    if math.isnan(value):
        return "NaN"
    if value == 0.0:
        return "-0" if math.copysign(1.0, value) < 0 else 0.0
    return "Infinity" if value > 0 else "-Infinity"


def _needs_spelling(values: Any) -> bool:
    """True when a float column holds a value that plain JSON numbers in jsonb would not carry exactly."""
    return any(v is not None and (v == 0.0 or v - v != 0.0) for v in values)


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
        conflict: None | Literal["nothing"] | tuple[Sequence[str], Sequence[str], Callable[[Any], Any] | None] = None,
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
        keys, update_cols, where = self.conflict
        return stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: getattr(stmt.excluded, c) for c in update_cols},
            where=where(stmt.excluded) if where is not None else None,
        )

    def _build(self, conn: Connection) -> Any:
        dialect = conn.dialect
        table = self.table.__table__
        if dialect.name == "postgresql":
            rows = func.jsonb_array_elements(cast(bindparam("rows", type_=Text), postgresql.JSONB))
            element = rows.table_valued("value").alias("e").c.value
            values = [
                cast(element.op("->>")(literal_column(str(i))), _cast_type(table.c[c].type))
                for i, c in enumerate(self.columns)
            ]
            stmt = self._on_conflict(
                postgresql.insert(self.table).from_select(list(self.columns), select(*values))
            )
            floats = tuple(i for i, c in enumerate(self.columns) if isinstance(table.c[c].type, Float))
            built: Any = ("postgresql", stmt, floats)
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
            for i in built[2]:
                if _needs_spelling(r[i] for r in rows):
                    rows = [(*r[:i], _json_float(r[i]), *r[i + 1 :]) for r in rows]
            conn.execute(built[1], {"rows": orjson.dumps(rows).decode()})
            return
        conn.exec_driver_sql(built[1], rows if isinstance(rows, list) else list(rows))
