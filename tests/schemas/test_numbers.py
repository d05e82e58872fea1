"""The integer parser every id, version, step and count goes through: ASCII digits, column-bound."""

from __future__ import annotations

import pytest

from regista.errors import InvalidParameter
from regista.schemas.base import Message
from regista.schemas.numbers import (
    INT32_MAX,
    INT64_MAX,
    INT64_MIN,
    Int32,
    Int64,
    int_or_none,
    parse_int,
    to_int,
)
from regista.server.http.parsing import parse_message


class Sample(Message):
    step: Int64 = 0
    count: Int32 | None = None


class TestToInt:
    @pytest.mark.parametrize(("value", "expected"), [
        ("0", 0), ("42", 42), ("-7", -7), ("007", 7), (42, 42), (5.0, 5),
        (str(INT64_MAX), INT64_MAX), (str(INT64_MIN), INT64_MIN),
    ])
    def test_accepts_json_numbers_and_ascii_digit_strings(self, value: object, expected: int) -> None:
        assert to_int(value) == expected

    @pytest.mark.parametrize("value", [
        "¹²³", "٣", "３", " 1", "1 ", "+1", "1_000", "1e3", "", "-", "0x10", True, None, [1], 1.5,
        float("inf"), float("nan"), "9" * 5000,
    ])
    def test_refuses_anything_else(self, value: object) -> None:
        with pytest.raises(ValueError):
            to_int(value)

    @pytest.mark.parametrize("value", [INT64_MAX + 1, INT64_MIN - 1, str(INT64_MAX + 1), 1e20])
    def test_bounds_default_to_int64(self, value: object) -> None:
        with pytest.raises(ValueError, match="between"):
            to_int(value)

    def test_int_or_none_for_ids_that_match_nothing(self) -> None:
        assert int_or_none("12") == 12
        assert int_or_none(str(INT32_MAX + 1)) is None
        assert int_or_none("٣") is None

    def test_parse_int_names_the_parameter_in_mlflow_wording(self) -> None:
        with pytest.raises(InvalidParameter, match=r"^Invalid value \"٣\"|^Invalid value \"\\u0663\""):
            parse_int("٣", "step")


class TestMessageFields:
    def test_int64_field_takes_strings_and_numbers(self) -> None:
        assert parse_message(Sample, {"step": str(INT64_MAX), "count": 3}).step == INT64_MAX

    def test_int32_field_refuses_values_beyond_int32(self) -> None:
        with pytest.raises(InvalidParameter, match="parameter 'count' supplied: expected an integer between"):
            parse_message(Sample, {"count": str(INT32_MAX + 1)})

    def test_wrong_type_uses_mlflows_hint(self) -> None:
        with pytest.raises(InvalidParameter) as caught:
            parse_message(Sample, {"step": True})
        assert caught.value.message == (
            "Invalid value true for parameter 'step' supplied:  Hint: Value was of type 'bool'. "
            "See the API docs for more information about request parameters."
        )
