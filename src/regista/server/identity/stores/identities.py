"""SQL for identities (users, service principals, groups) and group membership."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from regista.server.db.dialect import insert_ignore
from regista.server.db.models import GroupMember, Identity
from regista.server.db.models.identity import GROUP, SERVICE_PRINCIPAL, USER
from regista.server.db.prepared import Prepared

_COLUMNS = (
    Identity.id,
    Identity.kind,
    Identity.name,
    Identity.display_name,
    Identity.active,
    Identity.external_id,
    Identity.creation_time,
)


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


def get_identity(conn: Connection, identity_id: int) -> Any | None:
    """(id, kind, name, display_name, active, external_id, creation_time) of one identity, or None."""
    return conn.execute(select(*_COLUMNS).where(Identity.id == identity_id)).first()


def get_identities(conn: Connection, identity_ids: Sequence[int]) -> list[Any]:
    """The rows of every existing identity among `identity_ids` (any order)."""
    if not identity_ids:
        return []
    return list(conn.execute(select(*_COLUMNS).where(Identity.id.in_(list(identity_ids)))).all())


def list_identities(
    conn: Connection, kind: str, condition: Any | None, order_by: Sequence[Any], offset: int, limit: int
) -> tuple[int, list[Any]]:
    """(total matching, one page of rows) of `kind` identities matching `condition` (a SQL expression)."""
    where = [Identity.kind == kind]
    if condition is not None:
        where.append(condition)
    total = conn.execute(select(func.count()).select_from(Identity).where(*where)).scalar_one()
    if limit <= 0 or offset >= total:
        return int(total), []
    page = conn.execute(select(*_COLUMNS).where(*where).order_by(*order_by).offset(offset).limit(limit)).all()
    return int(total), list(page)


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


def update_identity(conn: Connection, identity_id: int, values: dict[str, Any]) -> None:
    """Set columns (name, display_name, active, external_id) of one identity."""
    if values:
        conn.execute(update(Identity).where(Identity.id == identity_id).values(**values))


def delete_identity(conn: Connection, identity_id: int) -> None:
    """Delete an identity; its memberships, tokens and grants go with it (ON DELETE CASCADE)."""
    conn.execute(delete(Identity).where(Identity.id == identity_id))


def add_member(conn: Connection, group_id: int, member_id: int) -> None:
    conn.execute(insert_ignore(conn, GroupMember), {"group_id": group_id, "member_id": member_id})


def add_members(conn: Connection, pairs: Sequence[tuple[int, int]]) -> None:
    """Add (group_id, member_id) memberships, ignoring those that exist."""
    if pairs:
        conn.execute(insert_ignore(conn, GroupMember), [{"group_id": g, "member_id": m} for g, m in pairs])


def remove_members(conn: Connection, group_id: int, member_ids: Sequence[int]) -> None:
    if member_ids:
        conn.execute(
            delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.member_id.in_(list(member_ids)))
        )


def members_of(conn: Connection, group_ids: Sequence[int]) -> list[Any]:
    """(group_id, id, kind, name, display_name) of the direct members of each group in `group_ids`."""
    if not group_ids:
        return []
    return list(
        conn.execute(
            select(GroupMember.group_id, Identity.id, Identity.kind, Identity.name, Identity.display_name)
            .join(Identity, Identity.id == GroupMember.member_id)
            .where(GroupMember.group_id.in_(list(group_ids)))
            .order_by(GroupMember.group_id, Identity.id)
        ).all()
    )


def groups_of(conn: Connection, member_ids: Sequence[int]) -> list[Any]:
    """(member_id, id, name) of the groups each identity in `member_ids` is a direct member of."""
    if not member_ids:
        return []
    return list(
        conn.execute(
            select(GroupMember.member_id, Identity.id, Identity.name)
            .join(Identity, Identity.id == GroupMember.group_id)
            .where(GroupMember.member_id.in_(list(member_ids)))
            .order_by(GroupMember.member_id, Identity.id)
        ).all()
    )


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
    "add_members",
    "delete_identity",
    "find_by_name",
    "get_identities",
    "get_identity",
    "group_closure",
    "groups_of",
    "insert_identity",
    "list_identities",
    "members_of",
    "remove_members",
    "update_identity",
]
