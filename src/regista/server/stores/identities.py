"""SQL for identities (users, service principals, groups) and group membership."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from regista.server.db.models import GroupMember, Identity
from regista.server.stores.dialect import insert_ignore
from regista.server.stores.prepared import Prepared

USER, SERVICE_PRINCIPAL, GROUP = "user", "service_principal", "group"


@cache
def _by_name() -> Prepared:
    return Prepared(
        select(Identity.id, Identity.kind, Identity.name, Identity.display_name, Identity.active).where(
            Identity.kind == bindparam("kind"), Identity.name == bindparam("name")
        )
    )


def find_by_name(conn: Connection, kind: str, name: str) -> Any | None:
    """(id, kind, name, display_name, active) of the identity, or None."""
    return _by_name().first(conn, {"kind": kind, "name": name})


def insert_identity(
    conn: Connection,
    kind: str,
    name: str,
    *,
    display_name: str | None,
    creation_time: int,
    active: bool = True,
    external_id: str | None = None,
) -> int:
    """Insert one identity and return its id."""
    return int(
        conn.execute(
            insert(Identity).returning(Identity.id),
            {
                "kind": kind,
                "name": name,
                "display_name": display_name,
                "active": active,
                "external_id": external_id,
                "creation_time": creation_time,
            },
        ).scalar_one()
    )


def add_member(conn: Connection, group_id: int, member_id: int) -> None:
    conn.execute(insert_ignore(conn, GroupMember), {"group_id": group_id, "member_id": member_id})


@cache
def _closure() -> Prepared:
    # Every group reachable upwards from the identity through (possibly nested) memberships. UNION (not
    # UNION ALL) stops at cycles.
    start = select(GroupMember.group_id).where(GroupMember.member_id == bindparam("member_id"))
    groups = start.cte("groups", recursive=True)
    step = select(GroupMember.group_id).join(groups, GroupMember.member_id == groups.c.group_id)
    groups = groups.union(step)
    return Prepared(select(groups.c.group_id))


def group_closure(conn: Connection, identity_id: int) -> list[int]:
    """Ids of all groups `identity_id` belongs to, directly or through nested groups."""
    return [r[0] for r in _closure().execute(conn, {"member_id": identity_id}).fetchall()]


__all__ = [
    "GROUP",
    "SERVICE_PRINCIPAL",
    "USER",
    "add_member",
    "find_by_name",
    "group_closure",
    "insert_identity",
]
