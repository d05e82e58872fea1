"""SQL for serving endpoints (one row each; configs and states as JSON text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import ServingEndpoint, ServingUsage
from regista.server.db.visibility import readable_condition

SERVING_ENDPOINTS = "serving-endpoints"  # the grants' object type

_T = ServingEndpoint.__table__
_U = ServingUsage.__table__


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


def insert_usage(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(ServingUsage), values)


def latest_usage(conn: Connection, endpoint_id: str, limit: int) -> list[Row[Any]]:
    query = select(_U).where(_U.c.endpoint_id == endpoint_id).order_by(_U.c.timestamp.desc(), _U.c.id.desc())
    return list(conn.execute(query.limit(limit)).all())


def usage_by_user(conn: Connection, endpoint_id: str) -> list[Row[Any]]:
    query = (
        select(
            _U.c.principal, func.count().label("calls"), func.sum(_U.c.prompt_tokens).label("prompt_tokens"),
            func.sum(_U.c.completion_tokens).label("completion_tokens"),
            func.sum(_U.c.total_tokens).label("total_tokens"), func.avg(_U.c.latency_ms).label("mean_latency_ms"),
        )
        .where(_U.c.endpoint_id == endpoint_id)
        .group_by(_U.c.principal)
        .order_by(_U.c.principal)
    )
    return list(conn.execute(query).all())
