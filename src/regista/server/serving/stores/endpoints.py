"""SQL for serving endpoints (one row each; configs and states as JSON text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import ServingEndpoint
from regista.server.db.visibility import readable_condition

SERVING_ENDPOINTS = "serving-endpoints"  # the grants' object type

_T = ServingEndpoint.__table__


def not_found(name: str) -> NotFound:
    return NotFound(f"Serving endpoint '{name}' does not exist.")


def insert_endpoint(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(ServingEndpoint), values)


def find_endpoint(conn: Connection, name: str, *, for_update: bool = False) -> Row[Any] | None:
    query = select(_T).where(_T.c.name == name)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def get_endpoint(conn: Connection, name: str, *, for_update: bool = False) -> Row[Any]:
    row = find_endpoint(conn, name, for_update=for_update)
    if row is None:
        raise not_found(name)
    return row


def find_endpoint_by_id(conn: Connection, endpoint_id: str) -> Row[Any] | None:
    return conn.execute(select(_T).where(_T.c.id == endpoint_id)).first()


def list_endpoints(conn: Connection, grantees: Any | None = None, levels: Sequence[str] = ()) -> list[Row[Any]]:
    """Every endpoint by name; with `grantees` (visibility.grantees_value), only those they hold one of
    `levels` on (filtered in the query)."""
    query = select(_T).order_by(_T.c.name)
    if grantees is None:
        return list(conn.execute(query).all())
    dialect = conn.dialect.name
    query = query.where(readable_condition(dialect, SERVING_ENDPOINTS, _T.c.id, levels))
    return list(conn.execute(query, {"grantees": grantees}).all())


def update_endpoint(conn: Connection, endpoint_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(ServingEndpoint).where(_T.c.id == endpoint_id).values(**values))


def delete_endpoint(conn: Connection, endpoint_id: str) -> None:
    conn.execute(delete(ServingEndpoint).where(_T.c.id == endpoint_id))
