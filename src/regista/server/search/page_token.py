"""Opaque page tokens: base64 of {"offset": N}, the same shape the official server hands out."""

from __future__ import annotations

import base64
import binascii

import orjson

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX


def encode_offset(offset: int) -> str:
    return base64.b64encode(orjson.dumps({"offset": offset})).decode()


def decode_offset(token: str | None) -> int:
    """Offset encoded in `token` (0 when there is none); a malformed token is a 400."""
    if not token:
        return 0
    try:
        data = orjson.loads(base64.b64decode(token, validate=True))
        offset = data["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise InvalidParameter(f"Invalid page token, could not decode it: {token!r}") from None
    # Bounded like every integer a user gives (schemas/numbers.py): a huge offset must be a 400, not an
    # overflow in the database driver.
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= INT32_MAX:
        raise InvalidParameter(
            f"Invalid page token: offset must be an integer between 0 and {INT32_MAX}, got {offset!r}"
        )
    return offset
