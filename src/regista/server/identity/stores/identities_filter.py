"""SCIM list filters (RFC 7644 §3.4.2.2, the simple subset Databricks supports) and sort keys as SQL.

Supported: `attr op value` with eq, ne, co, sw, ew (plus `attr pr`), joined by `and` / `or` (and binds
tighter) and parentheses. String comparisons ignore case, as SCIM specifies for userName and displayName.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, false, func, literal, or_

from regista.errors import InvalidParameter
from regista.schemas.numbers import int_or_none
from regista.server.db.models import Identity
from regista.server.identity.stores.identities import GROUP, SERVICE_PRINCIPAL, USER

# SCIM attribute (lower-cased) -> column, per identity kind. `name` holds a user's userName, a service
# principal's applicationId and a group's displayName.
_ATTRIBUTES: dict[str, dict[str, Any]] = {
    USER: {
        "id": Identity.id,
        "username": Identity.name,
        "displayname": Identity.display_name,
        "externalid": Identity.external_id,
        "active": Identity.active,
        "emails": Identity.name,
        "emails.value": Identity.name,
    },
    SERVICE_PRINCIPAL: {
        "id": Identity.id,
        "applicationid": Identity.name,
        "displayname": Identity.display_name,
        "externalid": Identity.external_id,
        "active": Identity.active,
    },
    GROUP: {"id": Identity.id, "displayname": Identity.name, "externalid": Identity.external_id},
}

_TOKEN = re.compile(
    r'\s*(?:(?P<lparen>\()|(?P<rparen>\))|"(?P<string>(?:[^"\\]|\\.)*)"|(?P<word>[^\s()"]+))'
)
_STRING_OPS = {"eq", "ne", "co", "sw", "ew"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidParameter(f"Invalid filter: cannot parse {text[pos:]!r}.")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value)
        out.append((kind, value))
    return out


def _like_pattern(value: str, prefix: str, suffix: str) -> Any:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return prefix + escaped + suffix


class _Parser:
    def __init__(self, kind: str, text: str) -> None:
        self.attributes = _ATTRIBUTES[kind]
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise InvalidParameter("Invalid filter: unexpected end.")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Any:
        condition = self.disjunction()
        if (token := self.peek()) is not None:
            raise InvalidParameter(f"Invalid filter: unexpected {token[1]!r}.")
        return condition

    def disjunction(self) -> Any:
        terms = [self.conjunction()]
        while self.keyword("or"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def conjunction(self) -> Any:
        terms = [self.term()]
        while self.keyword("and"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else and_(*terms)

    def term(self) -> Any:
        kind, value = self.take()
        if kind == "lparen":
            inner = self.disjunction()
            if self.take()[0] != "rparen":
                raise InvalidParameter("Invalid filter: missing ')'.")
            return inner
        if kind != "word":
            raise InvalidParameter(f"Invalid filter: expected an attribute, got {value!r}.")
        column = self.attributes.get(value.lower())
        if column is None:
            raise InvalidParameter(f"Invalid filter: unsupported attribute {value!r}.")
        op_kind, op = self.take()
        op = op.lower()
        if op_kind != "word":
            raise InvalidParameter(f"Invalid filter: expected an operator after {value!r}.")
        if op == "pr":
            return column.is_not(None)
        if op not in _STRING_OPS:
            raise InvalidParameter(f"Invalid filter: unsupported operator {op!r}.")
        return self.comparison(column, op, self.take())

    def comparison(self, column: Any, op: str, operand: tuple[str, str]) -> Any:
        kind, raw = operand
        if column is Identity.active:
            if kind != "word" or raw.lower() not in ("true", "false") or op not in ("eq", "ne"):
                raise InvalidParameter("Invalid filter: active compares with eq/ne to true or false.")
            flag = raw.lower() == "true"
            return column.is_(flag) if op == "eq" else column.is_not(flag)
        if column is Identity.id:
            number = int_or_none(raw, 0)
            if number is None or op not in ("eq", "ne"):
                # SCIM ids here are numbers: a non-numeric id matches nothing rather than erroring.
                return false() if op == "eq" else literal(True)
            return column == number if op == "eq" else column != number
        if kind not in ("string", "word"):
            raise InvalidParameter(f"Invalid filter: expected a value, got {raw!r}.")
        lowered = func.lower(column)
        if op == "eq":
            return lowered == raw.lower()
        if op == "ne":
            return or_(column.is_(None), lowered != raw.lower())
        pattern = {"co": ("%", "%"), "sw": ("", "%"), "ew": ("%", "")}[op]
        return lowered.like(_like_pattern(raw, *pattern), escape="\\")


def filter_condition(kind: str, text: str | None) -> Any | None:
    """The SQL condition for a SCIM filter over `kind` identities (None when there is no filter)."""
    if not text or not text.strip():
        return None
    return _Parser(kind, text).parse()


def sort_columns(kind: str, sort_by: str | None, descending: bool) -> list[Any]:
    """ORDER BY for a SCIM sortBy (id when absent); the id breaks ties so paging is stable."""
    column = Identity.id if not sort_by else _ATTRIBUTES[kind].get(sort_by.lower())
    if column is None:
        raise InvalidParameter(f"Unsupported sortBy attribute {sort_by!r}.")
    order = [column.desc() if descending else column.asc()]
    if column is not Identity.id:
        order.append(Identity.id.desc() if descending else Identity.id.asc())
    return order
