"""Opaque page tokens: base64 of {"offset": N}, the same shape the official server hands out."""

from __future__ import annotations

import base64
import binascii

import orjson

from regista.errors import InvalidParameter


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
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidParameter(f"Invalid page token: offset must be a non-negative integer, got {offset!r}")
    return offset
