"""Owners of securables: the identity a principal name names (users, service principals, groups), and the
names shown for owner ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.errors import InvalidParameter
from regista.server.context import Context
from regista.server.identity.services import identities


def owner_id_for(ctx: Context, name: str) -> int:
    """The identity id of the new owner `name`; 400 when no user, service principal or group has it."""
    row = identities.find_principal_named(ctx, name)
    if row is None:
        raise InvalidParameter(f"Principal '{name}' does not exist (no user, service principal or group has it).")
    return int(row.id)


def owner_names(ctx: Context, rows: Sequence[Any]) -> list[str | None]:
    """The owner's name of each row (None when it has no owner identity: created without authentication,
    where the built-in admin owns everything)."""
    ids = [r.owner_id for r in rows if r.owner_id is not None]
    found = identities.names_of(ctx, ids) if ids else {}
    return [found.get(r.owner_id) if r.owner_id is not None else None for r in rows]


def principal_ids(ctx: Context, principals: Sequence[str]) -> dict[str, int]:
    """Identity ids of grantee names, refusing unknown ones."""
    return {p: owner_id_for(ctx, p) for p in principals}
