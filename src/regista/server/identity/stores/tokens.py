"""SQL for personal access tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select

from regista.errors import NotFound
from regista.server.db.models import AccessToken, Identity
from regista.server.db.prepared import Prepared


def not_found(token_id: str) -> NotFound:
    return NotFound(f"Token {token_id} does not exist.")


@cache
def _owner_by_hash() -> Prepared:
    return Prepared(
        select(
            AccessToken.token_hash,
            AccessToken.expiry_time,
            Identity.id.label("identity_id"),
            Identity.kind,
            Identity.name,
            Identity.active,
        )
        .join(Identity, Identity.id == AccessToken.identity_id)
        .where(AccessToken.token_hash == bindparam("token_hash"))
    )


def find_owner(conn: Connection, token_hash: str) -> Any | None:
    """(token_hash, expiry_time, identity_id, kind, name, active) for a token hash, or None."""
    return _owner_by_hash().first(conn, {"token_hash": token_hash})


def insert_token(
    conn: Connection,
    *,
    token_id: str,
    identity_id: int,
    token_hash: str,
    comment: str | None,
    creation_time: int,
    expiry_time: int,
    created_by_id: int | None,
) -> None:
    conn.execute(
        insert(AccessToken),
        {
            "token_id": token_id,
            "identity_id": identity_id,
            "token_hash": token_hash,
            "comment": comment,
            "creation_time": creation_time,
            "expiry_time": expiry_time,
            "created_by_id": created_by_id,
        },
    )


def _info_statement() -> tuple[Any, Any, Any]:
    # Who created the token: the issuer for on-behalf-of tokens; tokens with no recorded issuer
    # (seeded directly in the database) count as created by their owner.
    owner = Identity.__table__.alias("owner")
    creator = Identity.__table__.alias("creator")
    creator_id = func.coalesce(AccessToken.created_by_id, AccessToken.identity_id)
    return (
        select(
            AccessToken.token_id,
            AccessToken.comment,
            AccessToken.creation_time,
            AccessToken.expiry_time,
            AccessToken.identity_id.label("owner_id"),
            owner.c.name.label("owner_name"),
            creator_id.label("created_by_id"),
            creator.c.name.label("created_by_name"),
        )
        .join(owner, owner.c.id == AccessToken.identity_id)
        .outerjoin(creator, creator.c.id == creator_id)
    ), creator_id, creator


def list_token_infos(
    conn: Connection,
    *,
    owner_id: int | None = None,
    created_by_id: int | None = None,
    created_by_name: str | None = None,
    unexpired_at: int | None = None,
) -> list[Any]:
    """Token metadata (never the hash), oldest first, optionally for one owner or one creator; with
    `unexpired_at` (epoch ms) only the tokens still valid then."""
    statement, creator_id, creator = _info_statement()
    if owner_id is not None:
        statement = statement.where(AccessToken.identity_id == owner_id)
    if created_by_id is not None:
        statement = statement.where(creator_id == created_by_id)
    if created_by_name is not None:
        statement = statement.where(creator.c.name == created_by_name)
    if unexpired_at is not None:
        statement = statement.where(or_(AccessToken.expiry_time < 0, AccessToken.expiry_time > unexpired_at))
    return list(conn.execute(statement.order_by(AccessToken.creation_time, AccessToken.token_id)).all())


def get_token_info(conn: Connection, token_id: str) -> Any | None:
    """Metadata of one token (as in list_token_infos), or None."""
    statement, _, _ = _info_statement()
    return conn.execute(statement.where(AccessToken.token_id == token_id)).first()


def delete_token(conn: Connection, token_id: str, owner_id: int | None = None) -> bool:
    """Delete a token (only if `owner_id` owns it, when given); True when a row went."""
    statement = delete(AccessToken).where(AccessToken.token_id == token_id)
    if owner_id is not None:
        statement = statement.where(AccessToken.identity_id == owner_id)
    return bool(conn.execute(statement).rowcount)


def delete_tokens_with_comment(conn: Connection, identity_id: int, comment: str, keep_hash: str) -> None:
    """Delete the identity's tokens carrying `comment`, except the one whose hash is `keep_hash`."""
    conn.execute(
        delete(AccessToken).where(
            AccessToken.identity_id == identity_id,
            AccessToken.comment == comment,
            AccessToken.token_hash != keep_hash,
        )
    )
