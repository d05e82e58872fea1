"""Messages and response shapes of the token API and of token management (/api/2.0/token*)."""

from __future__ import annotations

from typing import Any

from regista.schemas.base import Message
from regista.schemas.numbers import Int32, Int64


class CreateToken(Message):
    lifetime_seconds: Int64 | None = None
    comment: str | None = None


class DeleteToken(Message):
    token_id: str


class CreateOboToken(Message):
    application_id: str
    lifetime_seconds: Int64 | None = None
    comment: str | None = None


class ListTokens(Message):
    created_by_id: Int32 | None = None
    created_by_username: str | None = None


# Response shapes.


def public_token_info_json(row: Any) -> dict[str, Any]:
    """A token as its owner sees it (token/list): no owner fields."""
    info: dict[str, Any] = {
        "token_id": row.token_id,
        "creation_time": int(row.creation_time),
        "expiry_time": int(row.expiry_time),
    }
    if row.comment is not None:
        info["comment"] = row.comment
    return info


def token_info_json(row: Any) -> dict[str, Any]:
    """A token as token management shows it: with its owner and creator."""
    info = public_token_info_json(row)
    info["owner_id"] = int(row.owner_id)
    info["created_by_id"] = int(row.created_by_id)
    if row.created_by_name is not None:
        info["created_by_username"] = row.created_by_name
    return info
