"""Request messages of the token API (/api/2.0/token/...) and token management (/api/2.0/token-management/...)."""

from __future__ import annotations

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
