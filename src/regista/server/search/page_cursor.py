"""Offset paging for every search: the page cursor (wire field `page_token`), `Page` and `paginate()`.

A page cursor is base64 of {"offset": N}, the same shape the official server hands out. It is called a
cursor here so that "token" in the code always means an access token; on the wire it stays `page_token`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import orjson

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX

T = TypeVar("T")
U = TypeVar("U")


def encode_cursor(offset: int, **extra: Any) -> str:
    """The cursor of the page at `offset`; `extra` fields ride along (search/keyset.py adds the position)."""
    return base64.b64encode(orjson.dumps({"offset": offset, **extra})).decode()


def read_cursor(cursor: str | None) -> tuple[int, dict[str, Any]]:
    """The offset encoded in `cursor` (0 when there is none) and the cursor's whole JSON object; a malformed
    cursor is a 400."""
    if not cursor:
        return 0, {}
    try:
        data = orjson.loads(base64.b64decode(cursor, validate=True))
        offset = data["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise InvalidParameter(f"Invalid page token, could not decode it: {cursor!r}") from None
    # Bounded like every integer a user gives (schemas/numbers.py): a huge offset must be a 400, not an
    # overflow in the database driver.
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= INT32_MAX:
        raise InvalidParameter(
            f"Invalid page token: offset must be an integer between 0 and {INT32_MAX}, got {offset!r}"
        )
    return offset, data


def decode_cursor(cursor: str | None) -> int:
    """Offset encoded in `cursor` (0 when there is none); a malformed cursor is a 400."""
    return read_cursor(cursor)[0]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a search and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_page_token: str | None = None

    def map(self, convert: Callable[[list[T]], list[U]]) -> Page[U]:
        """The same page with its items converted as a whole (views are built in a fixed number of queries)."""
        return Page(convert(self.items), self.next_page_token)

    def body(self, key: str) -> dict[str, Any]:
        """The wire body: the items under `key`, and next_page_token only when another page follows."""
        out: dict[str, Any] = {key: self.items}
        if self.next_page_token:
            out["next_page_token"] = self.next_page_token
        return out


@overload
def paginate(cursor: str | None, max_results: int, fetch: Callable[[int, int], Sequence[T]]) -> Page[T]: ...


@overload
def paginate(
    cursor: str | None, max_results: int | None, fetch: Callable[[int, int | None], Sequence[T]]
) -> Page[T]: ...


def paginate(cursor: str | None, max_results: int | None, fetch: Callable[[int, Any], Sequence[T]]) -> Page[T]:
    """Decode the cursor, fetch up to max_results + 1 rows from its offset (one more tells whether another
    page follows) and encode the next cursor. `fetch(offset, limit)` runs the query; with max_results None
    the search is unpaged (limit None, everything from the offset, no next cursor)."""
    offset = decode_cursor(cursor)
    if max_results is None:
        return Page(list(fetch(offset, None)))
    rows = fetch(offset, max_results + 1)
    if len(rows) > max_results:
        return Page(list(rows[:max_results]), encode_cursor(offset + max_results))
    return Page(list(rows))
