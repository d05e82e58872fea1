"""Paging of the grants listings (permissions and effective-permissions) as Databricks pages them: max_results
counts privileges, a page holds only whole principals, and the next page seeks past the last principal of the
page (keyset on PRINCIPAL_ORDER, in SQL), so a grant changed between pages never shifts the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from regista.errors import InvalidParameter
from regista.server.catalog.stores import privileges as store
from regista.server.search.keyset import decode_position, fingerprint, sort_terms
from regista.server.search.page_cursor import Page, encode_cursor

# Databricks refuses 1..149, so that a page always has room for one principal's every privilege (on a model's
# whole path, a principal can hold at most the 20 grantable privileges of a catalog, a schema and a model).
PAGE_MIN = 150
# The server's page length: max_results=0 asks for it, and larger values are cut to it.
PAGE_MAX = 1000

_TERMS = sort_terms(store.PRINCIPAL_ORDER)


def page_length(max_results: int | None, page_token: str | None) -> int | None:
    """How many privileges a page may hold; None: the whole listing (neither max_results nor page_token)."""
    if max_results is None:
        return PAGE_MAX if page_token else None
    if max_results == 0:
        return PAGE_MAX
    if max_results < PAGE_MIN:
        raise InvalidParameter(
            f"max_results must be 0 (the server's page length) or at least {PAGE_MIN}, got {max_results}."
        )
    return min(max_results, PAGE_MAX)


def position(page_token: str | None) -> list[Any] | None:
    """The last principal of the previous page ((name, identity id)), or None for the first page."""
    if not page_token:
        return None
    found = decode_position(page_token, _TERMS)
    if found.after is None:
        raise InvalidParameter(f"Invalid page token, it was not handed out by this listing: {page_token!r}")
    return found.after


def _key(row: Any) -> tuple[str, int]:
    return row.principal, row.identity_id


def page(fetch: Callable[[Sequence[Any] | None, int | None], Sequence[Any]], max_results: int | None,
         page_token: str | None) -> Page[Any]:
    """One page of grant rows ordered by principal; `fetch(after, limit)` runs the query."""
    length = page_length(max_results, page_token)
    after = position(page_token)
    if length is None:
        return Page(list(fetch(None, None)))
    rows = fetch(after, length + 1)
    if len(rows) <= length:
        return Page(list(rows))
    # The row past the page belongs to a principal that does not fit whole: that principal starts the next page.
    cut = _key(rows[length])
    kept = [r for r in rows[:length] if _key(r) != cut]
    last = _key(kept[-1])
    return Page(kept, encode_cursor(0, after=list(last), order=fingerprint(_TERMS)))
