"""Parse MLflow order_by clauses ("metrics.`m 1` DESC") into (kind, key, ascending) for the tracking searches."""

from __future__ import annotations

import re
from dataclasses import dataclass

from regista.errors import InvalidParameter
from regista.server.search.filter_parser import Identifier, parse_filter

_DIRECTION = re.compile(r"^(?P<ident>.*?)(?:\s+(?P<dir>ASC|DESC))?\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class OrderBy:
    ident: Identifier
    ascending: bool


def parse_order_by(clause: str) -> OrderBy:
    """One clause: an identifier in filter syntax, optionally followed by ASC or DESC."""
    m = _DIRECTION.match(clause.strip())
    ident_text = m.group("ident").strip() if m else ""
    if not ident_text:
        raise InvalidParameter(f"Invalid order_by clause '{clause}'.")
    # Reuse the filter grammar for the identifier (quoting, prefixes) by parsing "<ident> IS NULL".
    try:
        node = parse_filter(f"{ident_text} IS NULL")
    except InvalidParameter:
        raise InvalidParameter(f"Invalid order_by clause '{clause}'. Could not be parsed.") from None
    ident = getattr(node, "ident", None)
    if ident is None:
        raise InvalidParameter(f"Invalid order_by clause '{clause}'. Could not be parsed.")
    direction = (m.group("dir") or "ASC").upper() if m else "ASC"
    return OrderBy(ident, direction == "ASC")
