"""Web UI sign-in: a personal access token opens a browser session (a random id, stored only as a hash,
tied to that token); signing out ends it. The token itself is never stored or logged here."""

from __future__ import annotations

import secrets

from regista.errors import Unauthenticated
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.identity.services.authentication import hash_token, session_hash
from regista.server.identity.stores import sessions
from regista.server.principal import Principal

# How long a browser session lasts at most (it also ends when its token expires or is revoked).
SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000


def start_session(ctx: Context, token_secret: str) -> tuple[str, Principal]:
    """Check `token_secret` and open a session for its owner: (the new session id for the cookie, owner)."""
    if ctx.authenticator is None:
        raise Unauthenticated("Sign-in is only needed when authentication is on.")
    token_secret = token_secret.strip()
    if not token_secret:
        raise Unauthenticated("Enter a personal access token.")
    # Raises Unauthenticated for an unknown or expired token or a deactivated owner.
    principal = ctx.authenticator.authenticate("Bearer " + token_secret)
    token = sessions.find_token(ctx.conn, hash_token(token_secret))
    if token is None:
        raise Unauthenticated("Invalid access token.")
    now = now_ms()
    expiry = now + SESSION_LIFETIME_MS
    if token.expiry_time >= 0:
        expiry = min(expiry, int(token.expiry_time))
    # Expired sessions are swept here, by the only writer of the table.
    sessions.delete_expired(ctx.conn, now)
    session_secret = secrets.token_urlsafe(32)
    sessions.insert_session(ctx.conn, session_hash(session_secret), token.token_id, now, expiry)
    return session_secret, principal


def end_session(ctx: Context, session_secret: str) -> None:
    """Sign out: the session id stops working at once (in this process; others within the cache TTL)."""
    sessions.delete_session(ctx.conn, session_hash(session_secret))
    ctx.identities_changed()
