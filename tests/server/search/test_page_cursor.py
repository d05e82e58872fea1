"""Offset paging shared by every search: the page cursor and paginate()."""

import pytest

from regista.errors import InvalidParameter
from regista.server.search.page_cursor import Page, decode_cursor, encode_cursor, paginate


class TestPageCursor:
    def test_round_trip(self) -> None:
        assert decode_cursor(encode_cursor(1234)) == 1234

    def test_missing_cursor_is_offset_zero(self) -> None:
        assert decode_cursor(None) == 0 and decode_cursor("") == 0

    @pytest.mark.parametrize("cursor", ["not-base64!!", "eyJmb28iOiAxfQ==", "eyJvZmZzZXQiOiAtMX0="])
    def test_bad_cursors_raise(self, cursor: str) -> None:
        with pytest.raises(InvalidParameter):
            decode_cursor(cursor)


ROWS = list(range(7))


def fetch(offset: int, limit: int | None) -> list[int]:
    return ROWS[offset:] if limit is None else ROWS[offset : offset + limit]


class TestPaginate:
    def test_walks_every_row_once_in_full_pages(self) -> None:
        seen, cursor, sizes = [], None, []
        while True:
            page = paginate(cursor, 3, fetch)
            seen += page.items
            sizes.append(len(page.items))
            if page.next_page_token is None:
                break
            cursor = page.next_page_token
        assert seen == ROWS and sizes == [3, 3, 1]

    def test_exact_fit_has_no_next_cursor(self) -> None:
        assert paginate(None, 7, fetch) == Page(ROWS, None)

    def test_unpaged_search_returns_the_rest_without_cursor(self) -> None:
        assert paginate(encode_cursor(5), None, fetch) == Page([5, 6], None)

    def test_bad_cursor_is_refused_before_fetching(self) -> None:
        def never(offset: int, limit: int | None) -> list[int]:
            raise AssertionError("fetched")

        with pytest.raises(InvalidParameter):
            paginate("not-base64!!", 3, never)


class TestPageBody:
    def test_last_page_has_no_next_page_token(self) -> None:
        assert Page([1]).body("runs") == {"runs": [1]}

    def test_next_page_token_is_on_the_wire(self) -> None:
        assert Page([1], "abc").body("runs") == {"runs": [1], "next_page_token": "abc"}

    def test_map_keeps_the_cursor(self) -> None:
        assert Page([1, 2], "abc").map(lambda xs: [x * 10 for x in xs]) == Page([10, 20], "abc")
