"""Who is calling: personal access tokens (issued, hashed, checked) and the cached token -> Principal lookup."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from regista.errors import Unauthenticated
from regista.server.clock import now_ms
from regista.server.identity.stores import identities, sessions, tokens
from regista.server.principal import Principal

# Databricks personal access tokens look like "dapi" + 32 hex digits; ours do too, so tools that
# recognise (and redact) Databricks tokens recognise ours.
TOKEN_PREFIX = "dapi"
# How long a resolved token stays cached in one process. Changes made through this process (token
# deletion, membership changes) clear the cache at once; other worker processes see them within this time.
CACHE_TTL_S = 2.0
# The built-in user created at first start (its token may come from $REGISTA_ADMIN_TOKEN).
ADMIN_USER = "admin"
ADMINS_GROUP = "admins"
USERS_GROUP = "users"


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_hex(16)


def new_token_id() -> str:
    return uuid.uuid4().hex


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_hash(session_secret: str) -> str:
    """What the database keeps of a web UI session id."""
    return hashlib.sha256(("session:" + session_secret).encode()).hexdigest()


def _session_key(session_secret: str) -> str:
    # Cache key for a session, distinct from any token hash.
    return "s:" + session_hash(session_secret)


def token_from_header(authorization: str | None) -> tuple[str, str | None]:
    """The token secret from a Bearer or Basic Authorization header, and the Basic user name if any."""
    if not authorization:
        raise Unauthenticated("Credential was not sent or was of an unsupported type for this API.")
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value, None
    if scheme == "basic" and value:
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Malformed Basic authorization header.") from None
        if sep and password:
            return password, user
    raise Unauthenticated("Credential was not sent or was of an unsupported type for this API.")


@dataclass(frozen=True)
class _Cached:
    principal: Principal
    expiry_time: int  # epoch ms, -1 = never
    cached_at: float


class Authenticator:
    """Turns an Authorization header into a Principal; thread-safe, with a short per-process cache."""

    def __init__(self, engine: Engine, users_group_id: int, admins_group_id: int) -> None:
        self._engine = engine
        self._users_group_id = users_group_id
        self._admins_group_id = admins_group_id
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def cached(self, authorization: str | None) -> Principal | None:
        """The principal from the cache (raising for an invalid header or an expired token), or None on a miss."""
        secret, basic_user = token_from_header(authorization)
        entry = self._cache.get(hash_token(secret))
        if entry is None or time.monotonic() - entry.cached_at > CACHE_TTL_S:
            return None
        return self._checked(entry, basic_user)

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller for this header (database lookup on a cache miss); raises Unauthenticated."""
        secret, basic_user = token_from_header(authorization)
        token_hash = hash_token(secret)
        entry = self._cache.get(token_hash)
        if entry is None or time.monotonic() - entry.cached_at > CACHE_TTL_S:
            entry = self._load(token_hash)
        return self._checked(entry, basic_user)

    def _checked(self, entry: _Cached, basic_user: str | None) -> Principal:
        if 0 <= entry.expiry_time <= now_ms():
            raise Unauthenticated("The token has expired.")
        # Basic auth: the user name must be the token's owner (or the literal "token", as Databricks allows).
        if basic_user is not None and basic_user not in (entry.principal.name, "token"):
            raise Unauthenticated("The user name does not match the token.")
        return entry.principal

    def _load(self, token_hash: str) -> _Cached:
        with self._engine.connect() as conn:
            row = tokens.find_owner(conn, token_hash)
            # The stored hash is compared in constant time; the index lookup only located the row.
            if row is None or not hmac.compare_digest(row.token_hash, token_hash):
                raise Unauthenticated("Invalid access token.")
            if not row.active:
                raise Unauthenticated("The token's owner is deactivated.")
            groups = identities.group_closure(conn, row.identity_id)
            conn.rollback()
        return self._remember(token_hash, row, groups, int(row.expiry_time))

    def cached_session(self, session_secret: str) -> Principal | None:
        """The principal of a web UI session from the cache, or None on a miss (see `cached`)."""
        entry = self._cache.get(_session_key(session_secret))
        if entry is None or time.monotonic() - entry.cached_at > CACHE_TTL_S:
            return None
        return self._checked(entry, None)

    def authenticate_session(self, session_secret: str) -> Principal:
        """The caller of a web UI session cookie: its token's owner, while the token exists, the session
        has not expired and the owner is active; raises Unauthenticated."""
        key = _session_key(session_secret)
        entry = self._cache.get(key)
        if entry is None or time.monotonic() - entry.cached_at > CACHE_TTL_S:
            with self._engine.connect() as conn:
                row = sessions.find_owner(conn, session_hash(session_secret))
                if row is None or not hmac.compare_digest(row.session_hash, session_hash(session_secret)):
                    raise Unauthenticated("The session has ended; sign in again.")
                if not row.active:
                    raise Unauthenticated("The token's owner is deactivated.")
                groups = identities.group_closure(conn, row.identity_id)
                conn.rollback()
            expiry = int(row.session_expiry_time)
            if row.expiry_time >= 0:
                expiry = min(expiry, int(row.expiry_time))
            entry = self._remember(key, row, groups, expiry)
        return self._checked(entry, None)

    def _remember(self, key: str, row: Any, groups: Iterable[int], expiry_time: int) -> _Cached:
        group_ids = tuple(sorted({*groups, self._users_group_id}))
        principal = Principal(
            name=row.name,
            is_admin=self._admins_group_id in group_ids,
            kind=row.kind,
            identity_id=row.identity_id,
            group_ids=group_ids,
        )
        entry = _Cached(principal, expiry_time, time.monotonic())
        with self._lock:
            self._cache[key] = entry
        return entry

    def forget_all(self) -> None:
        """Drop every cached token (after tokens, identities or memberships change)."""
        with self._lock:
            self._cache.clear()
