"""Input rules every domain shares, in MLflow's limits and wording: keys, lengths, tags and max_results."""

from __future__ import annotations

import posixpath
import re

from regista.errors import InvalidParameter

MAX_ENTITY_KEY_LENGTH = 250
MAX_TAG_VAL_LENGTH = 8000

_NAME_CHARS = re.compile(r"^[/\w.\- :]*$")
_BAD_CHARS = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), "
    "colon(:) and slashes (/)."
)


def invalid_value(path: str, value: object, detail: str | None = None) -> str:
    """MLflow's "Invalid value ... for parameter '...' supplied" message."""
    shown = repr(value) if isinstance(value, str) else str(value)
    if detail:
        return f"Invalid value {shown} for parameter '{path}' supplied: {detail}"
    return f"Invalid value {shown} for parameter '{path}' supplied."


# Keys that passed validate_name and are at most MAX_ENTITY_KEY_LENGTH long: the same metric, param and tag
# keys arrive with every batch, so they are checked once. Bounded so hostile input cannot grow it for ever.
_KNOWN_NAMES: set[str] = set()
_KNOWN_NAMES_MAX = 10_000


def is_known_name(name: str | None) -> bool:
    """True when `name` is a valid key of at most MAX_ENTITY_KEY_LENGTH characters already seen."""
    return name in _KNOWN_NAMES


def validate_name(name: str | None, path: str = "key") -> str:
    """A metric, param or tag key: required, MLflow's character set, and not a path that normalises away."""
    if name in _KNOWN_NAMES:
        return name  # a known name is a str
    if name is None or name == "":
        raise InvalidParameter(f"Missing value for required parameter '{path}'.")
    if not _NAME_CHARS.match(name):
        raise InvalidParameter(invalid_value(path, name, _BAD_CHARS))
    norm = posixpath.normpath(name)
    if norm != name or norm == "." or norm.startswith(("..", "/")):
        raise InvalidParameter(
            invalid_value(
                path,
                name,
                "Names may be treated as files in certain cases, and must not resolve to other names "
                f"when treated as such. This name would resolve to {norm!r}",
            )
        )
    if len(name) <= MAX_ENTITY_KEY_LENGTH and len(_KNOWN_NAMES) < _KNOWN_NAMES_MAX:
        _KNOWN_NAMES.add(name)
    return name


def validate_length(entity: str, limit: int, value: str | None) -> None:
    if value is not None and len(value) > limit:
        raise InvalidParameter(f"'{entity}' exceeds the maximum length of {limit} characters")


def validate_tag(
    key: str | None,
    value: str | None,
    path: str = "",
    value_limit: int = MAX_TAG_VAL_LENGTH,
    *,
    value_required: bool = True,
) -> None:
    """A tag of any entity: the key rules of validate_name, then the key and value lengths. Registered
    model tags may come without a value (`value_required=False`), as in MLflow."""
    prefix = f"{path}." if path else ""
    validate_name(key, f"{prefix}key")
    validate_length(f"{prefix}key", MAX_ENTITY_KEY_LENGTH, key)
    if value is None and value_required:
        raise InvalidParameter(f"Missing value for required parameter '{prefix}value'.")
    validate_length(f"{prefix}value", value_limit, value)


# MLflow words the same bound differently in its tracking searches and its registry searches.
TRACKING_MAX_RESULTS = (
    "Invalid value {value} for parameter 'max_results' supplied. It must be a positive integer at most {limit}"
)
REGISTRY_MAX_RESULTS = (
    "Invalid value for request parameter max_results. It must be at most {limit} and at least 1, "
    "but got value {value}"
)


def validate_max_results(max_results: int | None, limit: int, wording: str = TRACKING_MAX_RESULTS) -> None:
    """1 <= max_results <= limit (None means the search's default)."""
    if max_results is not None and not 1 <= max_results <= limit:
        raise InvalidParameter(wording.format(value=max_results, limit=limit))
