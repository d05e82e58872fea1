"""The one parser for an integer a user gives: ASCII digits only, bound-checked against the column it lands in."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from regista.errors import InvalidParameter

# Column ranges. INTEGER columns are int32 on both backends (SQLite itself would take int64) so that
# a value is accepted or refused the same way whichever database runs underneath.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Only ASCII digits are numbers: str.isdigit() and int() also take '¹²³' or '٣', which could silently
# resolve to another row. No sign but '-', no blanks, no '_' separators.
_ASCII_INT = re.compile(r"-?[0-9]+")


class IntegerValueError(ValueError):
    """`value` is not an integer in range; `reason` completes "Invalid value X for parameter 'p' supplied: "."""

    def __init__(self, reason: str, *, wrong_type: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wrong_type = wrong_type


def is_ascii_int(text: str) -> bool:
    """Whether `text` is written as an integer with ASCII digits (and an optional leading '-')."""
    return _ASCII_INT.fullmatch(text) is not None


def to_int(value: Any, lo: int = INT64_MIN, hi: int = INT64_MAX) -> int:
    """`value` (a JSON number or a string of ASCII digits) as an int in [lo, hi]; IntegerValueError if not."""
    if isinstance(value, bool):
        raise IntegerValueError(type_hint(value), wrong_type=True)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        # protobuf's JSON parser takes 5.0 for an integer field; 5.5, inf and nan are not integers.
        if not value.is_integer():
            raise IntegerValueError("expected an integer.")
        number = int(value)
    elif isinstance(value, str):
        # Long enough for any in-range value: a huge string never reaches int().
        if len(value) > 40 or not is_ascii_int(value):
            raise IntegerValueError("expected an integer written with ASCII digits 0-9.")
        number = int(value)
    else:
        raise IntegerValueError(type_hint(value), wrong_type=True)
    if not lo <= number <= hi:
        raise IntegerValueError(f"expected an integer between {lo} and {hi}.")
    return number


def int_or_none(value: Any, lo: int = INT32_MIN, hi: int = INT32_MAX) -> int | None:
    """`value` as an int in [lo, hi], or None: for ids that simply match nothing when malformed."""
    try:
        return to_int(value, lo, hi)
    except IntegerValueError:
        return None


def type_hint(value: Any) -> str:
    """MLflow's wording for a value of the wrong JSON type (kept exact: clients and docs quote it)."""
    return (
        f" Hint: Value was of type '{type(value).__name__}'. "
        "See the API docs for more information about request parameters."
    )


def parse_int(value: Any, param: str, lo: int = INT64_MIN, hi: int = INT64_MAX) -> int:
    """`value` as an int in [lo, hi], or a 400 naming `param`."""
    try:
        return to_int(value, lo, hi)
    except IntegerValueError as err:
        raise InvalidParameter(invalid_value(param, value, err.reason)) from None


def invalid_value(param: str, value: Any, reason: str) -> str:
    """MLflow's "Invalid value <json> for parameter '<p>' supplied: <reason>" message."""
    return f"Invalid value {format_value(value)} for parameter '{param}' supplied: {reason}"


def format_value(value: Any) -> str:
    """The value as JSON (like MLflow's messages), shortened so an error never echoes a whole payload."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return text if len(text) <= 200 else text[:200] + "..."


def _pydantic_int(lo: int, hi: int) -> BeforeValidator:
    def validate(value: Any) -> int:
        # The common case first (a JSON integer in range): log-batch validates thousands of these.
        if type(value) is int and lo <= value <= hi:
            return value
        try:
            return to_int(value, lo, hi)
        except IntegerValueError as err:
            kind = "int_type" if err.wrong_type else "int_value"
            raise PydanticCustomError(kind, err.reason) from None

    return BeforeValidator(validate)


# Request-message field types. Int64 for BIGINT columns (steps, timestamps), Int32 for INTEGER columns and
# for counts such as max_results.
# The range also sits on the inner int schema (checked natively, and published in the JSON schema); in
# the other order pydantic would run it as two more Python validators per value.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX), _pydantic_int(INT64_MIN, INT64_MAX)]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX), _pydantic_int(INT32_MIN, INT32_MAX)]
