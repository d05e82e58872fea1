"""SQL for personal access tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from regista.server.db.models import AccessToken, Identity
from regista.server.stores.prepared import Prepared


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
