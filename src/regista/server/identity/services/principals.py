"""The Principal of a named user, for work done on a user's behalf outside their requests (e.g. deciding
whether an e-mail about a model may go to them)."""

from __future__ import annotations

from regista.server.context import Context
from regista.server.identity.services.authentication import ADMINS_GROUP, USERS_GROUP
from regista.server.identity.stores import identities as store
from regista.server.principal import Principal


def principal_of_user(ctx: Context, name: str) -> Principal | None:
    """The active user called `name` with their groups (as authentication would build it), or None."""
    row = store.find_by_name(ctx.conn, store.USER, name)
    if row is None or not row.active:
        return None
    groups = set(store.group_closure(ctx.conn, row.id))
    builtin = {n: store.find_by_name(ctx.conn, store.GROUP, n) for n in (USERS_GROUP, ADMINS_GROUP)}
    users, admins = builtin[USERS_GROUP], builtin[ADMINS_GROUP]
    if users is not None:
        groups.add(users.id)
    return Principal(name=row.name, is_admin=admins is not None and admins.id in groups, kind=row.kind,
                     identity_id=row.id, group_ids=tuple(sorted(groups)))
