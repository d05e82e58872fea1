"""SQL for webhooks (both APIs' rows live in one table, told apart by `dialect`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, update

from regista.errors import NotFound
from regista.server.db.models import Webhook

_T = Webhook.__table__


def not_found(webhook_id: str) -> NotFound:
    # MLflow's words (sqlalchemy_store._get_webhook_by_id).
    return NotFound(f"Webhook with ID {webhook_id} not found.")


def insert_webhook(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(Webhook), values)


def find_webhook(conn: Connection, webhook_id: str, dialect: str | None = None) -> Row[Any] | None:
    query = select(_T).where(_T.c.id == webhook_id)
    if dialect is not None:
        query = query.where(_T.c.dialect == dialect)
    return conn.execute(query).first()


def find_webhooks(conn: Connection, webhook_ids: Sequence[str]) -> list[Row[Any]]:
    if not webhook_ids:
        return []
    return list(conn.execute(select(_T).where(_T.c.id.in_(list(webhook_ids)))).all())


def get_webhook(conn: Connection, webhook_id: str, dialect: str | None = None) -> Row[Any]:
    row = find_webhook(conn, webhook_id, dialect)
    if row is None:
        raise not_found(webhook_id)
    return row


def update_webhook(conn: Connection, webhook_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(Webhook).where(_T.c.id == webhook_id).values(**values))


def delete_webhook(conn: Connection, webhook_id: str) -> None:
    conn.execute(delete(Webhook).where(_T.c.id == webhook_id))


def list_webhooks(
    conn: Connection, dialect: str, *, model_names: Sequence[str | None] | None, offset: int, limit: int,
    any_events: Sequence[str] | None = None,
) -> list[Row[Any]]:
    """A page of one dialect's webhooks, newest first; `model_names` limits Databricks webhooks to those
    models (None in it: the registry-wide ones); `any_events` to those subscribed to one of the events."""
    query = select(_T).where(_T.c.dialect == dialect)
    if any_events:
        # Events are stored as a JSON list of fixed names: a quoted name matches exactly one element.
        query = query.where(or_(*[_T.c.events.contains(f'"{event}"', autoescape=True) for event in any_events]))
    if model_names is not None:
        names = [n for n in model_names if n is not None]
        condition: Any = _T.c.model_name.in_(names) if names else None
        if None in model_names:
            condition = _T.c.model_name.is_(None) if condition is None else condition | _T.c.model_name.is_(None)
        if condition is None:
            return []
        query = query.where(condition)
    query = query.order_by(_T.c.creation_timestamp.desc(), _T.c.id).offset(offset).limit(limit)
    return list(conn.execute(query).all())


def active_webhooks(conn: Connection) -> list[Row[Any]]:
    """Every webhook that fires on real events (the dispatcher's view)."""
    return list(conn.execute(select(_T).where(_T.c.status == "ACTIVE")).all())


def any_active(conn: Connection) -> bool:
    return conn.execute(select(_T.c.id).where(_T.c.status == "ACTIVE").limit(1)).first() is not None


def rename_model(conn: Connection, old: str, new: str) -> None:
    """Model-scoped webhooks follow their model to its new name (whatever their status)."""
    conn.execute(update(Webhook).where(Webhook.model_name == old).values(model_name=new))


def webhooks_with_secrets(conn: Connection) -> list[Row[Any]]:
    """Every webhook holding a secret, an authorization value or a job access token (for re-encryption)."""
    return list(conn.execute(
        select(_T.c.id, _T.c.secret, _T.c.authorization, _T.c.access_token).where(
            or_(_T.c.secret.is_not(None), _T.c.authorization.is_not(None), _T.c.access_token.is_not(None))
        ).order_by(_T.c.id)
    ))
