"""What must exist before the first request: the built-in admin, the admins and users groups, the default
registry-wide grants, and the admin token from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from regista.server.clock import now_ms
from regista.server.db.engine import write_transaction
from regista.server.identity.services.authentication import (
    ADMIN_USER,
    ADMINS_GROUP,
    USERS_GROUP,
    hash_token,
    new_token_id,
)
from regista.server.identity.stores import identities, tokens
from regista.server.permissions.services import permissions
from regista.server.principal import Principal

# Marks the token registered from $REGISTA_ADMIN_TOKEN, so a new value replaces it.
ADMIN_TOKEN_COMMENT = "REGISTA_ADMIN_TOKEN"


@dataclass(frozen=True)
class BuiltinIdentities:
    admin: Principal
    admins_group_id: int
    users_group_id: int


def _ensure(conn: Connection, kind: str, name: str, display_name: str) -> tuple[int, bool]:
    row = identities.find_by_name(conn, kind, name)
    if row is not None:
        return int(row.id), False
    return identities.insert_identity(conn, kind, name, display_name=display_name, creation_time=now_ms()), True


def ensure_builtin_identities(engine: Engine, admin_token: str | None) -> BuiltinIdentities:
    """Create the built-ins on first start (idempotent; safe when several workers start together)."""
    with write_transaction(engine) as conn:
        admins_id, created = _ensure(conn, identities.GROUP, ADMINS_GROUP, ADMINS_GROUP)
        users_id, _ = _ensure(conn, identities.GROUP, USERS_GROUP, USERS_GROUP)
        admin_id, _ = _ensure(conn, identities.USER, ADMIN_USER, "Administrator")
        identities.add_member(conn, admins_id, admin_id)
        if created:
            permissions.grant_first_start_defaults(conn, users_id, admins_id)
        if admin_token:
            token_hash = hash_token(admin_token)
            # The variable names the admin's token: a previous value stops working when it changes.
            tokens.delete_tokens_with_comment(conn, admin_id, ADMIN_TOKEN_COMMENT, token_hash)
            if tokens.find_owner(conn, token_hash) is None:
                tokens.insert_token(
                    conn,
                    token_id=new_token_id(),
                    identity_id=admin_id,
                    token_hash=token_hash,
                    comment=ADMIN_TOKEN_COMMENT,
                    creation_time=now_ms(),
                    expiry_time=-1,
                    created_by_id=admin_id,
                )
    admin = Principal(
        name=ADMIN_USER, is_admin=True, identity_id=admin_id, group_ids=tuple(sorted({admins_id, users_id}))
    )
    return BuiltinIdentities(admin=admin, admins_group_id=admins_id, users_group_id=users_id)
