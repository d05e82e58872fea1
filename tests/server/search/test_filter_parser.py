"""The shared filter-string parser: MLflow's grammar, plus OR and parentheses where allowed."""

import pytest

from regista.errors import InvalidParameter
from regista.server.search.filter_parser import (
    MAX_COMPARISONS,
    MAX_DEPTH,
    MAX_LIST_VALUES,
    And,
    Comparison,
    Identifier,
    Or,
    comparisons,
    in_column_range,
    parse_filter,
)


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


class TestFilterLimits:
    def test_nesting_up_to_the_limit_parses(self) -> None:
        node = parse_filter("(" * MAX_DEPTH + "name = 'a'" + ")" * MAX_DEPTH, allow_or=True)
        assert node == Comparison(Identifier("attribute", "name"), "=", "a", True)

    @pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 100_000])
    def test_deeper_nesting_is_a_400_not_a_recursion_error(self, depth: int) -> None:
        with pytest.raises(InvalidParameter, match="nested more than"):
            parse_filter("(" * depth + "name = 'a'" + ")" * depth, allow_or=True)

    def test_nesting_counts_open_parentheses_not_total(self) -> None:
        # Many sibling groups are fine; only depth is bounded.
        text = " OR ".join(["(name = 'a')"] * (MAX_DEPTH * 2))
        assert isinstance(parse_filter(text, allow_or=True), Or)

    def test_comparisons_up_to_the_limit_parse(self) -> None:
        node = parse_filter(" AND ".join(["metrics.m > 1"] * MAX_COMPARISONS))
        assert len(comparisons(node)) == MAX_COMPARISONS

    def test_more_comparisons_are_a_400(self) -> None:
        with pytest.raises(InvalidParameter, match="comparisons"):
            parse_filter(" OR ".join(["name = 'a'"] * (MAX_COMPARISONS + 1)), allow_or=True)

    def test_more_in_list_values_are_a_400(self) -> None:
        values = ", ".join(f"'{i}'" for i in range(MAX_LIST_VALUES + 1))
        with pytest.raises(InvalidParameter, match="IN lists"):
            parse_filter(f"run_id IN ({values})")


class TestNumericLiterals:
    def test_int64_literal_stays_an_integer(self) -> None:
        assert comparisons(parse_filter(f"attributes.start_time > {2**63 - 1}"))[0].value == 2**63 - 1

    @pytest.mark.parametrize("text", [str(2**63), "99999999999999999999", "1" * 5000])
    def test_larger_integer_literal_is_a_float(self, text: str) -> None:
        value = comparisons(parse_filter(f"metrics.m > {text}"))[0].value
        assert isinstance(value, float) and value >= 2**63

    @pytest.mark.parametrize("digits", ["٣", "¹²", "３"])
    def test_non_ascii_digits_are_not_numbers(self, digits: str) -> None:
        with pytest.raises(InvalidParameter):
            parse_filter(f"metrics.m > {digits}")

    def test_column_range_check(self) -> None:
        assert in_column_range(5, "version_number", 0, 2**31 - 1) == 5
        with pytest.raises(InvalidParameter, match="version_number"):
            in_column_range(2**31, "version_number", 0, 2**31 - 1)
        with pytest.raises(InvalidParameter, match="start_time"):
            in_column_range(1e20, "start_time")
