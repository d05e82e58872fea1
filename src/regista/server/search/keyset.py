"""Keyset ("seek") paging for searches whose order is total: the next page starts right after the last row's
sort key, so every page costs the same however deep it is (an offset makes page k read k × page-size rows
before the first one it returns).

The cursor keeps the official server's shape and adds the position: base64 of {"offset": N, "after": [the
last row's sort-key values], "order": a fingerprint of the ORDER BY}. A cursor without `after` (handed out
by an older regista, or built by hand as the official server's are), or one made for another order, pages
by its offset as before. Every value in `after` is checked against its column's type and length before it
becomes a bound parameter: the cursor is client input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, Label, UnaryExpression

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT64_MAX, INT64_MIN
from regista.server.search.page_cursor import Page, encode_cursor, read_cursor

# Labels of the sort-key columns a keyset search adds to its SELECT (read back off the page's last row).
KEY_LABEL = "_sort_key_{}"
MAX_TEXT_KEY = 65_536


@dataclass(frozen=True, slots=True)
class SortTerm:
    column: ColumnElement[Any]
    ascending: bool


def sort_terms(order_by: Sequence[Any]) -> list[SortTerm]:
    """(column, direction) of each ORDER BY term (`col`, `col.asc()` or `col.desc()`)."""
    out = []
    for term in order_by:
        if isinstance(term, UnaryExpression) and term.modifier in (operators.asc_op, operators.desc_op):
            out.append(SortTerm(term.element, term.modifier is operators.asc_op))
        else:
            out.append(SortTerm(term, True))
    return out


def key_columns(order_by: Sequence[Any]) -> list[Label[Any]]:
    """The sort-key columns to add to the search's SELECT, so the last row of a page carries its position."""
    return [t.column.label(KEY_LABEL.format(i)) for i, t in enumerate(sort_terms(order_by))]


def fingerprint(terms: Sequence[SortTerm]) -> str:
    shape = ",".join(f"{getattr(t.column, 'table', None)}.{getattr(t.column, 'key', t.column)}:{t.ascending}" for t in terms)
    return hashlib.blake2s(shape.encode(), digest_size=6).hexdigest()


def seek_condition(terms: Sequence[SortTerm], after: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `after` in the order of `terms`: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with ">"
    meaning "<" for a descending term. The leading `k1 >= v1` repeats the first branch's bound in a form the
    planner can use with the index that serves the ORDER BY."""
    def beyond(t: SortTerm, v: Any) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = (t.column > v) if t.ascending else (t.column < v)
        return condition

    branches = []
    for i, (term, value) in enumerate(zip(terms, after, strict=True)):
        equal = [terms[j].column == after[j] for j in range(i)]
        branches.append(and_(*equal, beyond(term, value)))
    first, v0 = terms[0], after[0]
    leading = first.column >= v0 if first.ascending else first.column <= v0
    return and_(leading, or_(*branches))


@dataclass(frozen=True, slots=True)
class Position:
    offset: int
    after: list[Any] | None = None


def _valid_key(term: SortTerm, value: Any) -> bool:
    try:
        expected = term.column.type.python_type
    except NotImplementedError:
        return False
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX
    if expected is str:
        limit = getattr(term.column.type, "length", None) or MAX_TEXT_KEY
        return isinstance(value, str) and len(value) <= limit and "\x00" not in value
    return False


def decode_position(cursor: str | None, terms: Sequence[SortTerm]) -> Position:
    """Where the page starts; a malformed cursor is a 400. `after` is kept only when the cursor was made for
    this order and every value fits its column."""
    offset, data = read_cursor(cursor)
    after = data.get("after")
    if after is None or data.get("order") != fingerprint(terms):
        return Position(offset)
    if not isinstance(after, list) or len(after) != len(terms) or not all(map(_valid_key, terms, after)):
        raise InvalidParameter(f"Invalid page token, its position does not fit this search: {cursor!r}")
    return Position(offset, after)


def seek_paginate(
    cursor: str | None,
    max_results: int,
    order_by: Sequence[Any],
    fetch: Callable[[int, ColumnElement[bool] | None, int], Sequence[Any]],
) -> Page[Any]:
    """One page of a search ordered by `order_by` (which must be total: end with a unique key).
    `fetch(offset, seek, limit)` runs the search with `seek` (when not None) as an extra WHERE condition,
    selecting key_columns(order_by) beside its own; it is asked for max_results + 1 rows (one more tells
    whether another page follows)."""
    terms = sort_terms(order_by)
    position = decode_position(cursor, terms)
    if position.after is not None:
        rows = fetch(0, seek_condition(terms, position.after), max_results + 1)
    else:
        rows = fetch(position.offset, None, max_results + 1)
    if len(rows) <= max_results:
        return Page(list(rows))
    last = rows[max_results - 1]
    after = [getattr(last, KEY_LABEL.format(i)) for i in range(len(terms))]
    # A NULL key has no place in a seek comparison: such a page continues by offset.
    next_after = None if any(v is None for v in after) else after
    extra = {} if next_after is None else {"after": next_after, "order": fingerprint(terms)}
    return Page(list(rows[:max_results]), encode_cursor(position.offset + max_results, **extra))
