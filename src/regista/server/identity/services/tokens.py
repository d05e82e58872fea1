"""Personal access tokens: the caller's own (create, list, delete) and admin token management (on-behalf-of
tokens for service principals, list, get, delete any token).

The secret exists in exactly one place: the create response. Only its SHA-256 is stored, and nothing here
logs or records it. Deleting a token clears the authenticator's cache, so it stops working at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from regista.errors import InvalidParameter, NotFound
from regista.schemas.numbers import INT64_MAX
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.identity.schemas.tokens import public_token_info_json, token_info_json
from regista.server.identity.services.authentication import hash_token, new_token_id, new_token_secret
from regista.server.identity.stores import identities, tokens
from regista.server.identity.stores.identities import SERVICE_PRINCIPAL
from regista.server.permissions.services import authz

NEVER = -1


def expiry_for(lifetime_seconds: int | None, now: int) -> int:
    """Epoch ms at which a token with this lifetime expires (-1: never, when no lifetime is given)."""
    if lifetime_seconds is None or lifetime_seconds == 0:
        return NEVER
    if lifetime_seconds < 0:
        raise InvalidParameter(f"lifetime_seconds must be positive, got {lifetime_seconds}.")
    # The expiry is a BIGINT column: a lifetime past year 292 million is a 400, not an overflow.
    if now + lifetime_seconds * 1000 > INT64_MAX:
        raise InvalidParameter(f"lifetime_seconds is too large, got {lifetime_seconds}.")
    return now + lifetime_seconds * 1000


def issue_token(
    conn: Connection, owner_id: int, *, lifetime_seconds: int | None, comment: str | None, created_by_id: int | None
) -> tuple[str, dict[str, Any]]:
    """Store a new token for `owner_id`; (secret, public token info). Used by the API and the CLI."""
    now = now_ms()
    expiry = expiry_for(lifetime_seconds, now)
    secret = new_token_secret()
    token_id = new_token_id()
    tokens.insert_token(
        conn, token_id=token_id, identity_id=owner_id, token_hash=hash_token(secret), comment=comment,
        creation_time=now, expiry_time=expiry, created_by_id=created_by_id,
    )
    info: dict[str, Any] = {"token_id": token_id, "creation_time": now, "expiry_time": expiry}
    if comment is not None:
        info["comment"] = comment
    return secret, info


def _caller_id(ctx: Context) -> int:
    principal = ctx.principal
    if principal.identity_id is not None:
        return principal.identity_id
    row = identities.find_by_name(ctx.conn, principal.kind, principal.name)
    if row is None:
        raise NotFound(f"The caller {principal.name} has no identity to own tokens.")
    return int(row.id)


# ---- the caller's own tokens (/api/2.0/token/...) -------------------------------------------------------


def create_token(ctx: Context, lifetime_seconds: int | None, comment: str | None) -> dict[str, Any]:
    owner = _caller_id(ctx)
    secret, info = issue_token(ctx.conn, owner, lifetime_seconds=lifetime_seconds, comment=comment,
                               created_by_id=owner)
    ctx.record("token.created", {"token_id": info["token_id"], "owner_id": owner})
    return {"token_value": secret, "token_info": info}


def list_tokens(ctx: Context) -> list[dict[str, Any]]:
    """The caller's tokens that are still valid."""
    rows = tokens.list_token_infos(ctx.conn, owner_id=_caller_id(ctx), unexpired_at=now_ms())
    return [public_token_info_json(r) for r in rows]


def delete_token(ctx: Context, token_id: str) -> None:
    """Revoke one of the caller's own tokens (another identity's token is reported as missing)."""
    if not tokens.delete_token(ctx.conn, token_id, owner_id=_caller_id(ctx)):
        raise tokens.not_found(token_id)
    ctx.record("token.deleted", {"token_id": token_id})
    ctx.identities_changed()


# ---- token management (admins only, /api/2.0/token-management/...) ------------------------------------


def _require_admin(ctx: Context) -> None:
    authz.require_admin(ctx, "manage tokens")


def create_obo_token(
    ctx: Context, application_id: str, lifetime_seconds: int | None, comment: str | None
) -> dict[str, Any]:
    """A token for the service principal `application_id`, issued by the calling admin."""
    _require_admin(ctx)
    sp = identities.find_by_name(ctx.conn, SERVICE_PRINCIPAL, application_id)
    if sp is None:
        raise NotFound(f"Service principal with application id {application_id!r} does not exist.")
    if not sp.active:
        raise InvalidParameter(f"Service principal {application_id!r} is deactivated; activate it first.")
    issuer = _caller_id(ctx)
    secret, info = issue_token(ctx.conn, int(sp.id), lifetime_seconds=lifetime_seconds, comment=comment,
                            created_by_id=issuer)
    ctx.record("token.created", {"token_id": info["token_id"], "owner_id": int(sp.id), "created_by_id": issuer})
    row = tokens.get_token_info(ctx.conn, info["token_id"])
    return {"token_value": secret, "token_info": token_info_json(row)}


def manage_list(ctx: Context, created_by_id: int | None, created_by_username: str | None) -> list[dict[str, Any]]:
    _require_admin(ctx)
    rows = tokens.list_token_infos(ctx.conn, created_by_id=created_by_id, created_by_name=created_by_username)
    return [token_info_json(r) for r in rows]


def _named_owner(ctx: Context, name: str) -> Any:
    """The user named `name`, else the service principal whose application id is `name`."""
    row = identities.find_by_name(ctx.conn, identities.USER, name) or identities.find_by_name(
        ctx.conn, SERVICE_PRINCIPAL, name)
    if row is None:
        raise NotFound(f"No user or service principal named {name!r}.")
    return row


def issue_for(ctx: Context, owner_name: str, lifetime_seconds: int | None, comment: str | None) -> dict[str, Any]:
    """A token for any active user or service principal, issued by the calling admin (`regista tokens create`)."""
    _require_admin(ctx)
    owner = _named_owner(ctx, owner_name)
    if not owner.active:
        raise InvalidParameter(f"{owner_name!r} is deactivated; activate it first.")
    issuer = _caller_id(ctx)
    secret, info = issue_token(ctx.conn, int(owner.id), lifetime_seconds=lifetime_seconds, comment=comment,
                               created_by_id=issuer)
    ctx.record("token.created", {"token_id": info["token_id"], "owner_id": int(owner.id), "created_by_id": issuer})
    return {"token_value": secret, "token_info": info}


def list_for(ctx: Context, owner_name: str | None) -> list[dict[str, Any]]:
    """Every token's metadata (expired ones too), or only those of the user or service principal `owner_name`;
    each with its owner's name. Never a secret: only hashes are stored."""
    _require_admin(ctx)
    owner_id = None if owner_name is None else int(_named_owner(ctx, owner_name).id)
    rows = tokens.list_token_infos(ctx.conn, owner_id=owner_id)
    return [{**token_info_json(r), "owner_name": r.owner_name} for r in rows]


def manage_get(ctx: Context, token_id: str) -> dict[str, Any]:
    _require_admin(ctx)
    row = tokens.get_token_info(ctx.conn, token_id)
    if row is None:
        raise tokens.not_found(token_id)
    return token_info_json(row)


def manage_delete(ctx: Context, token_id: str) -> None:
    _require_admin(ctx)
    if not tokens.delete_token(ctx.conn, token_id):
        raise tokens.not_found(token_id)
    ctx.record("token.deleted", {"token_id": token_id})
    ctx.identities_changed()
