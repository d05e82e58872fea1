"""Keyset paging (search/keyset.py): the position in a cursor, its checks, and the seek condition, run
against a real SQLite table."""

from __future__ import annotations

import base64

import orjson
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from regista.errors import InvalidParameter
from regista.server.search.keyset import (
    decode_position,
    fingerprint,
    key_columns,
    seek_paginate,
    sort_terms,
)
from regista.server.search.page_cursor import encode_cursor

META = MetaData()
ITEMS = Table("items", META, Column("id", Integer, primary_key=True), Column("name", String(8)),
              Column("score", Integer))
ORDER = [ITEMS.c.score.desc(), ITEMS.c.name.asc(), ITEMS.c.id.desc()]
TERMS = sort_terms(ORDER)


def cursor(data: dict) -> str:
    return base64.b64encode(orjson.dumps(data)).decode()


@pytest.fixture(scope="module")
def conn():
    engine = create_engine("sqlite://")
    META.create_all(engine)
    with engine.begin() as c:
        # Many ties on score and on name, so the later keys decide the order.
        c.execute(insert(ITEMS), [{"id": i, "name": "abc"[i % 3], "score": i % 4} for i in range(1, 41)])
        yield c


def walk(conn, page_size: int) -> list[int]:
    def fetch(offset, seek, limit):
        stmt = select(ITEMS.c.id, *key_columns(ORDER))
        if seek is not None:
            stmt = stmt.where(seek)
        return conn.execute(stmt.order_by(*ORDER).offset(offset).limit(limit)).all()

    seen, token = [], None
    while True:
        page = seek_paginate(token, page_size, ORDER, fetch)
        seen.extend(r.id for r in page.items)
        token = page.next_page_token
        if token is None:
            return seen


class TestSeekPaging:
    @pytest.mark.parametrize("page_size", [1, 3, 7, 40, 100])
    def test_walk_returns_every_row_once_in_order(self, conn, page_size) -> None:
        expected = [r.id for r in conn.execute(select(ITEMS.c.id).order_by(*ORDER))]
        assert walk(conn, page_size) == expected

    def test_next_cursor_carries_offset_position_and_order(self, conn) -> None:
        page = seek_paginate(None, 5, ORDER, lambda o, s, n: conn.execute(
            select(ITEMS.c.id, *key_columns(ORDER)).order_by(*ORDER).offset(o).limit(n)).all())
        data = orjson.loads(base64.b64decode(page.next_page_token))
        last = page.items[-1]
        assert data == {"offset": 5, "after": [last._sort_key_0, last._sort_key_1, last._sort_key_2],
                        "order": fingerprint(TERMS)}


class TestDecodePosition:
    def test_offset_only_cursor_pages_by_offset(self) -> None:
        assert decode_position(encode_cursor(30), TERMS).after is None
        assert decode_position(encode_cursor(30), TERMS).offset == 30

    def test_cursor_of_another_order_falls_back_to_its_offset(self) -> None:
        other = fingerprint(sort_terms([ITEMS.c.name.asc()]))
        position = decode_position(cursor({"offset": 10, "after": ["a"], "order": other}), TERMS)
        assert position.offset == 10 and position.after is None

    @pytest.mark.parametrize(
        "after",
        [["3", "a", 1], [3, 4, 1], [3, "a"], [3, "a", 1, 2], [True, "a", 1], [2**63, "a", 1],
         [3, "x" * 9, 1], [3, "a\x00", 1], [3, None, 1], "3,a,1", [3.5, "a", 1]],
    )
    def test_position_that_does_not_fit_the_columns_is_400(self, after) -> None:
        with pytest.raises(InvalidParameter):
            decode_position(cursor({"offset": 10, "after": after, "order": fingerprint(TERMS)}), TERMS)

    @pytest.mark.parametrize("data", [[1, 2], "x", {"after": [1]}, {"offset": -1}, {"offset": 2**31}])
    def test_malformed_cursor_is_400(self, data) -> None:
        with pytest.raises(InvalidParameter):
            decode_position(cursor(data), TERMS)
