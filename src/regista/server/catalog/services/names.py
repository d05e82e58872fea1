"""Unity Catalog object names: three-level `catalog.schema.model`, each part at most 255 characters, no `.`,
space, `/`, control character or DEL, stored lower-case."""

from __future__ import annotations

import re

from regista.errors import InvalidParameter

MAX_PART = 255
_FORBIDDEN = re.compile(r"[.\s/\x00-\x1f\x7f]")


def part(value: str | None, what: str) -> str:
    """One validated, lower-cased name part."""
    if not value:
        raise InvalidParameter(f"The {what} name must not be empty.")
    if len(value) > MAX_PART:
        raise InvalidParameter(f"The {what} name '{value[:40]}...' is longer than {MAX_PART} characters.")
    if _FORBIDDEN.search(value):
        raise InvalidParameter(
            f"Invalid {what} name '{value}': names may not contain '.', spaces, '/' or control characters."
        )
    return value.lower()


def full_name(name: str | None, levels: int = 3) -> tuple[str, ...]:
    """`catalog.schema.model` (levels=3) or `catalog.schema` (2) split and validated."""
    parts = (name or "").split(".")
    if len(parts) != levels:
        shape = "catalog.schema.model" if levels == 3 else "catalog.schema"
        raise InvalidParameter(
            f"Invalid name '{name}': please specify all three levels ({shape}) of the name."
            if levels == 3 else f"Invalid name '{name}': expected {shape}."
        )
    what = ("catalog", "schema", "model")
    return tuple(part(p, what[i]) for i, p in enumerate(parts))


def model_name(name: str | None) -> tuple[str, str, str]:
    c, s, m = full_name(name, 3)
    return c, s, m


def join(*parts: str) -> str:
    return ".".join(parts)
