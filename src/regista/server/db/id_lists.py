"""`column IN <a list of ids>` with one bind parameter whatever the list's length.

An expanding IN renders one placeholder per id at every execution (and psycopg re-parses long query texts);
instead the list travels as one parameter: a PostgreSQL array (`= ANY(:ids)`) or, on SQLite, a JSON array
read with json_each. The SQL text is then the same for every page, so it is compiled and prepared once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import BigInteger, Connection, Text, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY


def in_ids(column: Any, dialect: str, name: str = "ids", *, integers: bool = False) -> Any:
    """`column IN (:name)` for the statement built for `dialect` (bind the value with ids_value);
    `integers` for an integer column (PostgreSQL compares an integer with a bigint[], not a text[])."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger if integers else Text)))
    values = func.json_each(bindparam(name, type_=Text)).table_valued("value")
    return column.in_(select(values.c.value))


def ids_value(conn: Connection, ids: Sequence[str] | Sequence[int]) -> Any:
    """The bind value of an in_ids parameter."""
    if conn.dialect.name == "postgresql":
        return list(ids)
    return orjson.dumps(list(ids)).decode()
