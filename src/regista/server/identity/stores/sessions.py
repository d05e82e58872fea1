"""SQL for the web UI's browser sessions (ui_sessions), each tied to the access token that signed in."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from regista.server.db.models import AccessToken, Identity, UiSession
from regista.server.db.prepared import Prepared


@cache
def _owner_by_session() -> Prepared:
    # The same columns as tokens.find_owner, plus the session's own expiry: a session resolves only
    # while its token exists (revocation deletes it, and the session with it).
    return Prepared(
        select(
            UiSession.session_hash,
            UiSession.expiry_time.label("session_expiry_time"),
            AccessToken.expiry_time,
            Identity.id.label("identity_id"),
            Identity.kind,
            Identity.name,
            Identity.active,
        )
        .join(AccessToken, AccessToken.token_id == UiSession.token_id)
        .join(Identity, Identity.id == AccessToken.identity_id)
        .where(UiSession.session_hash == bindparam("session_hash"))
    )


def find_owner(conn: Connection, session_hash: str) -> Any | None:
    """(session_hash, session_expiry_time, expiry_time, identity_id, kind, name, active), or None."""
    return _owner_by_session().first(conn, {"session_hash": session_hash})


def find_token(conn: Connection, token_hash: str) -> Any | None:
    """(token_id, expiry_time) of the token with this hash, or None."""
    statement = select(AccessToken.token_id, AccessToken.expiry_time).where(AccessToken.token_hash == token_hash)
    return conn.execute(statement).first()


def insert_session(conn: Connection, session_hash: str, token_id: str, creation_time: int, expiry_time: int) -> None:
    conn.execute(
        insert(UiSession),
        {"session_hash": session_hash, "token_id": token_id, "creation_time": creation_time,
         "expiry_time": expiry_time},
    )


def delete_session(conn: Connection, session_hash: str) -> None:
    conn.execute(delete(UiSession).where(UiSession.session_hash == session_hash))


def delete_expired(conn: Connection, now: int) -> None:
    conn.execute(delete(UiSession).where(UiSession.expiry_time <= now))
