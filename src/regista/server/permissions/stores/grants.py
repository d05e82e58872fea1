"""SQL for direct permission grants (access control entries): the levels a caller holds on an object,
granting and revoking, an object's grants with their grantees, and the "readable by the caller" condition
that search queries embed (so filtering happens inside the query)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    select,
)

from regista.server.db.dialect import insert_ignore
from regista.server.db.models import AccessControlEntry as Ace
from regista.server.db.models import Identity
from regista.server.db.prepared import Prepared
from regista.server.db.visibility import (
    EXPERIMENTS,
    REGISTERED_MODELS,
    ROOT,
    grantee_condition,
    grantees_value,
    readable_condition,
)


@cache
def _levels_statement(dialect: str) -> Prepared:
    return Prepared(
        select(Ace.permission_level).where(
            Ace.object_type == bindparam("object_type"),
            Ace.object_id.in_([bindparam("object_id"), bindparam("parent_id")]),
            grantee_condition(dialect),
        )
    )


def levels_on(
    conn: Connection, object_type: str, object_id: str, grantee_ids: Sequence[int], parent_id: str = ROOT
) -> list[str]:
    """Every level any of `grantee_ids` holds directly on the object or on its parent (the root)."""
    if not grantee_ids:
        return []
    dialect = conn.dialect.name
    rows = _levels_statement(dialect).execute(
        conn,
        {
            "object_type": object_type,
            "object_id": object_id,
            "parent_id": parent_id,
            "grantees": grantees_value(dialect, grantee_ids),
        },
    ).fetchall()
    return [r[0] for r in rows]


@cache
def _grant_statement(dialect: str) -> Prepared:
    return Prepared(insert_ignore(dialect, Ace).values(
        object_type=bindparam("object_type"), object_id=bindparam("object_id"),
        identity_id=bindparam("identity_id"), permission_level=bindparam("permission_level"),
    ))


def grant(conn: Connection, object_type: str, object_id: str, identity_id: int, level: str) -> None:
    """Add a direct grant (no-op when it exists). On the driver: every create by a non-admin runs it."""
    _grant_statement(conn.dialect.name).execute(
        conn,
        {"object_type": object_type, "object_id": object_id, "identity_id": identity_id, "permission_level": level},
    )


def grant_many(conn: Connection, object_type: str, object_id: str, grants: Sequence[tuple[int, str]]) -> None:
    """Add direct grants (identity_id, level) on one object; existing ones are kept."""
    if grants:
        conn.execute(
            insert_ignore(conn, Ace),
            [
                {"object_type": object_type, "object_id": object_id, "identity_id": i, "permission_level": lvl}
                for i, lvl in grants
            ],
        )


def revoke(conn: Connection, object_type: str, object_id: str, identity_id: int, level: str) -> None:
    """Drop one direct grant (no-op when it is not there)."""
    conn.execute(
        delete(Ace).where(
            Ace.object_type == object_type,
            Ace.object_id == object_id,
            Ace.identity_id == identity_id,
            Ace.permission_level == level,
        )
    )


def revoke_identities(conn: Connection, object_type: str, object_id: str, identity_ids: Sequence[int]) -> None:
    """Drop every direct grant the identities hold on the object."""
    if identity_ids:
        conn.execute(
            delete(Ace).where(
                Ace.object_type == object_type,
                Ace.object_id == object_id,
                Ace.identity_id.in_(list(identity_ids)),
            )
        )


@cache
def _grants_statement() -> Any:
    return (
        select(
            Ace.object_id,
            Ace.permission_level,
            Identity.id.label("identity_id"),
            Identity.kind,
            Identity.name,
            Identity.display_name,
        )
        .join(Identity, Identity.id == Ace.identity_id)
        .where(Ace.object_type == bindparam("object_type"), Ace.object_id.in_(bindparam("object_ids", expanding=True)))
        .order_by(Identity.kind, Identity.name, Ace.permission_level)
    )


def grants_on(conn: Connection, object_type: str, object_ids: Sequence[str]) -> list[Any]:
    """Every direct grant on the objects, with its grantee: rows of (object_id, permission_level,
    identity_id, kind, name, display_name), ordered by grantee."""
    return list(conn.execute(_grants_statement(), {"object_type": object_type, "object_ids": list(object_ids)}))


def revoke_object(conn: Connection, object_type: str, object_id: str) -> None:
    """Drop every direct grant on an object (when the object itself is deleted)."""
    conn.execute(delete(Ace).where(Ace.object_type == object_type, Ace.object_id == object_id))


__all__ = [
    "EXPERIMENTS",
    "REGISTERED_MODELS",
    "ROOT",
    "grant",
    "grant_many",
    "grantees_value",
    "grants_on",
    "levels_on",
    "readable_condition",
    "revoke",
    "revoke_identities",
    "revoke_object",
]
