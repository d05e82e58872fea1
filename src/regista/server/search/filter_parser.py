"""Parse MLflow search filter strings into a small AST shared by every resource's SQL translation.

The grammar is MLflow's (mlflow/utils/search_utils.py): `<identifier> <comparator> <value>` clauses joined
by AND, identifiers like `metrics.m`, ``tags.`a.b` ``, `params."x y"` or a bare attribute name, single- or
double-quoted strings, numbers, `IN ('a', 'b')` lists and `IS [NOT] NULL`. Resources that go beyond MLflow
(the registry) also accept OR and parentheses.

A filter is user input that becomes one SQL statement, so its size is bounded here, for every resource at
once: nesting depth, number of comparisons and number of IN-list values. Past those bounds a filter is a
clear 400 instead of a RecursionError in this parser or SQLite's "Expression tree is too large".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT64_MAX, INT64_MIN

# Prefix spellings MLflow accepts, mapped to one kind each.
_PREFIX_KINDS = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "dataset",
    "datasets": "dataset",
}

# Bounds on one filter (see the module docstring). SQLite refuses expressions deeper than 1000 and
# statements with more than 32766 bound values. PostgreSQL 15's planner has a cliff: a runs filter of
# 183 `run_id IN (50 values)` clauses planned for minutes without answering cancel requests (and held up
# every DROP DATABASE on the cluster meanwhile), while 100 clauses of 100 values plan in under a second.
MAX_DEPTH = 32
MAX_COMPARISONS = 100
MAX_LIST_VALUES = 5000

COMPARATORS = ("=", "!=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL")


@dataclass(frozen=True)
class Identifier:
    kind: str  # attribute | metric | param | tag | dataset
    key: str


@dataclass(frozen=True)
class Comparison:
    ident: Identifier
    op: str
    value: str | int | float | tuple[str, ...] | None
    # True when the value was written as a quoted string (so `'5'` and `5` can be told apart).
    quoted: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Comparison | And | Or

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<ident>[A-Za-z_][\w]*\.(?:`[^`]*`|"(?:[^"]|"")*"|[\w\-./:]+)|`[^`]*`|[A-Za-z_][\w\-]*)
  | (?P<number>[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<op>!=|<>|>=|<=|=|>|<)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL"}


@dataclass
class _Tok:
    kind: str  # string | ident | number | op | punct | kw | end
    text: str


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise InvalidParameter(f"Invalid filter string '{text}': unexpected character at position {pos}.")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        value = m.group()
        if kind == "ident" and value.upper() in _KEYWORDS:
            toks.append(_Tok("kw", value.upper()))
        else:
            toks.append(_Tok(kind, value))
    toks.append(_Tok("end", ""))
    return toks


def _unquote(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def _identifier(text: str, prefixes: dict[str, str] | None = None) -> Identifier:
    if text.startswith("`"):
        return Identifier("attribute", text[1:-1])
    if "." not in text:
        return Identifier("attribute", text)
    prefix, key = text.split(".", 1)
    kinds = _PREFIX_KINDS if prefixes is None else prefixes
    kind = kinds.get(prefix.lower())
    if kind is None:
        valid = sorted(set(kinds.values())) if prefixes else ["metric", "parameter", "tag", "attribute", "dataset"]
        raise InvalidParameter(f"Invalid entity type '{prefix}' in filter. Valid values are {valid}.")
    if key.startswith("`") and key.endswith("`") and len(key) >= 2:
        key = key[1:-1]
    elif key.startswith('"') and key.endswith('"') and len(key) >= 2:
        key = _unquote(key)
    if not key:
        raise InvalidParameter(f"Invalid filter: empty key in '{text}'.")
    return Identifier(kind, key)


class _Parser:
    def __init__(self, text: str, allow_or: bool, prefixes: dict[str, str] | None = None) -> None:
        self.text = text
        self.prefixes = prefixes
        self.toks = _tokenize(text)
        self.i = 0
        self.allow_or = allow_or
        self.depth = 0
        self.n_comparisons = 0
        self.n_values = 0

    def error(self, why: str) -> InvalidParameter:
        return InvalidParameter(f"Invalid filter string '{self.text}': {why}")

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept_kw(self, word: str) -> bool:
        tok = self.peek()
        if tok.kind == "kw" and tok.text == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.expr()
        if self.peek().kind != "end":
            raise self.error(f"unexpected '{self.peek().text}'.")
        return node

    def expr(self) -> Node:
        items = [self.term()]
        while self.peek().kind == "kw" and self.peek().text == "OR":
            if not self.allow_or:
                raise self.error("OR is not supported here; join clauses with AND (Invalid clause(s)).")
            self.take()
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self) -> Node:
        items = [self.factor()]
        while self.accept_kw("AND"):
            items.append(self.factor())
        flat: list[Node] = []
        for item in items:
            flat.extend(item.items if isinstance(item, And) else (item,))
        return flat[0] if len(flat) == 1 else And(tuple(flat))

    def factor(self) -> Node:
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"parentheses are nested more than {MAX_DEPTH} deep.")
            node = self.expr()
            if self.take().text != ")":
                raise self.error("missing ')'.")
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        self.n_comparisons += 1
        if self.n_comparisons > MAX_COMPARISONS:
            raise self.error(f"more than {MAX_COMPARISONS} comparisons.")
        tok = self.take()
        if tok.kind != "ident":
            raise self.error(f"expected an identifier, got '{tok.text or 'end of filter'}'.")
        ident = _identifier(tok.text, self.prefixes)
        nxt = self.take()
        if nxt.kind == "op":
            op = "!=" if nxt.text == "<>" else nxt.text
            return self.scalar(ident, op)
        if nxt.kind == "kw" and nxt.text in ("LIKE", "ILIKE"):
            return self.scalar(ident, nxt.text)
        if nxt.kind == "kw" and nxt.text == "IN":
            return Comparison(ident, "IN", self.value_list(), True)
        if nxt.kind == "kw" and nxt.text == "NOT" and self.accept_kw("IN"):
            return Comparison(ident, "NOT IN", self.value_list(), True)
        if nxt.kind == "kw" and nxt.text == "IS":
            negate = self.accept_kw("NOT")
            if not self.accept_kw("NULL"):
                raise self.error("expected NULL after IS.")
            return Comparison(ident, "IS NOT NULL" if negate else "IS NULL", None)
        raise self.error(f"invalid comparator '{nxt.text}'.")

    def scalar(self, ident: Identifier, op: str) -> Comparison:
        tok = self.take()
        if tok.kind == "string":
            return Comparison(ident, op, _unquote(tok.text), True)
        if tok.kind == "number":
            return Comparison(ident, op, _number(tok.text), False)
        raise self.error(f"expected a value after '{op}', got '{tok.text or 'end of filter'}'.")

    def value_list(self) -> tuple[str, ...]:
        if self.take().text != "(":
            raise self.error("expected '(' to start the IN list.")
        values: list[str] = []
        while True:
            tok = self.take()
            if tok.kind == "string":
                values.append(_unquote(tok.text))
            elif tok.kind == "number":
                values.append(tok.text)
            else:
                raise self.error(f"expected a quoted value in the IN list, got '{tok.text}'.")
            self.n_values += 1
            if self.n_values > MAX_LIST_VALUES:
                raise self.error(f"more than {MAX_LIST_VALUES} values in IN lists.")
            sep = self.take()
            if sep.text == ")":
                return tuple(values)
            if sep.text != ",":
                raise self.error("expected ',' or ')' in the IN list.")


def _number(text: str) -> int | float:
    """An integer literal that fits int64 stays an int; any other number is a float (a 20-digit integer is
    still a valid bound for a metric, which is a double; integer columns check their range on use)."""
    if re.fullmatch(r"[-+]?[0-9]{1,19}", text):
        value = int(text)
        if INT64_MIN <= value <= INT64_MAX:
            return value
    return float(text)


def in_column_range(value: object, key: str, lo: int = INT64_MIN, hi: int = INT64_MAX) -> object:
    """`value` unchanged, or a 400 when it is a number outside the range of the integer column `key`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not lo <= value <= hi:
        raise InvalidParameter(
            f"Invalid filter value {value!r} for '{key}': it must be a number between {lo} and {hi}."
        )
    return value


def parse_filter(
    text: str | None, *, allow_or: bool = False, prefixes: dict[str, str] | None = None
) -> Node | None:
    """Parse a filter string; None for an empty filter. Raises InvalidParameter on bad syntax. `prefixes`
    replaces the runs' identifier prefixes for a resource with its own (traces: metadata., span., ...)."""
    if text is None or not text.strip():
        return None
    return _Parser(text, allow_or, prefixes).parse()


def comparisons(node: Node | None) -> list[Comparison]:
    """Every comparison in the tree, left to right."""
    if node is None:
        return []
    if isinstance(node, Comparison):
        return [node]
    out: list[Comparison] = []
    for item in node.items:
        out.extend(comparisons(item))
    return out
