"""The shared filter-string parser: MLflow's grammar, plus OR and parentheses where allowed."""

import pytest

from regista.errors import InvalidParameter
from regista.server.stores.search.filter_parser import (
    And,
    Comparison,
    Identifier,
    Or,
    comparisons,
    parse_filter,
)
from regista.server.stores.search.page_token import decode_offset, encode_offset


class TestParseFilter:
    def test_empty_filter_is_none(self) -> None:
        assert parse_filter(None) is None
        assert parse_filter("   ") is None

    def test_prefixes_map_to_kinds(self) -> None:
        node = parse_filter("metric.a > 1 AND params.b = 'x' AND tag.c = 'y' AND attr.status = 'RUNNING'")
        kinds = [c.ident.kind for c in comparisons(node)]
        assert kinds == ["metric", "param", "tag", "attribute"]

    def test_quoted_keys_keep_dots_and_spaces(self) -> None:
        node = parse_filter("tags.`mlflow.runName` = 'r' and params.\"my p\" = 'v'")
        assert [c.ident.key for c in comparisons(node)] == ["mlflow.runName", "my p"]

    def test_values_strings_numbers_and_lists(self) -> None:
        node = parse_filter("run_id IN ('a', 'b') AND metrics.m <= -1.5e2 AND version_number = 3")
        values = [c.value for c in comparisons(node)]
        assert values == [("a", "b"), -150.0, 3]

    def test_escaped_quote_in_string(self) -> None:
        assert parse_filter("name = 'it''s'") == Comparison(Identifier("attribute", "name"), "=", "it's", True)

    def test_is_null_and_not_in(self) -> None:
        node = parse_filter("tags.t IS NOT NULL AND run_id NOT IN ('x')")
        assert [c.op for c in comparisons(node)] == ["IS NOT NULL", "NOT IN"]

    def test_keywords_are_case_insensitive(self) -> None:
        node = parse_filter("name like 'a%' and name ilike 'B%'")
        assert isinstance(node, And) and [c.op for c in node.items] == ["LIKE", "ILIKE"]

    def test_or_and_parentheses_when_allowed(self) -> None:
        node = parse_filter("(name = 'a' OR name = 'b') AND tags.k = 'v'", allow_or=True)
        assert isinstance(node, And)
        assert isinstance(node.items[0], Or) and len(node.items[0].items) == 2

    def test_and_binds_tighter_than_or(self) -> None:
        node = parse_filter("name = 'a' OR name = 'b' AND tags.k = 'v'", allow_or=True)
        assert isinstance(node, Or) and isinstance(node.items[1], And)

    @pytest.mark.parametrize(
        "text",
        [
            "name = 'a' OR name = 'b'",  # OR not allowed by default (MLflow's runs grammar)
            "name =",
            "name == 'a'",
            "name = 'a' trailing",
            "foo.bar = 'x'",
            "(name = 'a'",
            "run_id IN 'a'",
            "name IS 'x'",
            "= 'a'",
            "name = 'unterminated",
        ],
    )
    def test_bad_filters_raise_invalid_parameter(self, text: str) -> None:
        with pytest.raises(InvalidParameter):
            parse_filter(text)


class TestPageToken:
    def test_round_trip(self) -> None:
        assert decode_offset(encode_offset(1234)) == 1234

    def test_missing_token_is_offset_zero(self) -> None:
        assert decode_offset(None) == 0 and decode_offset("") == 0

    @pytest.mark.parametrize("token", ["not-base64!!", "eyJmb28iOiAxfQ==", "eyJvZmZzZXQiOiAtMX0="])
    def test_bad_tokens_raise(self, token: str) -> None:
        with pytest.raises(InvalidParameter):
            decode_offset(token)
