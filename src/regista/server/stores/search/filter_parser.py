"""Parse MLflow search filter strings into a small AST shared by every resource's SQL translation.

The grammar is MLflow's (mlflow/utils/search_utils.py): `<identifier> <comparator> <value>` clauses joined
by AND, identifiers like `metrics.m`, ``tags.`a.b` ``, `params."x y"` or a bare attribute name, single- or
double-quoted strings, numbers, `IN ('a', 'b')` lists and `IS [NOT] NULL`. Resources that go beyond MLflow
(the registry) also accept OR and parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regista.errors import InvalidParameter

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
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
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


def _identifier(text: str) -> Identifier:
    if text.startswith("`"):
        return Identifier("attribute", text[1:-1])
    if "." not in text:
        return Identifier("attribute", text)
    prefix, key = text.split(".", 1)
    kind = _PREFIX_KINDS.get(prefix.lower())
    if kind is None:
        raise InvalidParameter(
            f"Invalid entity type '{prefix}' in filter. Valid values are "
            "['metric', 'parameter', 'tag', 'attribute', 'dataset']."
        )
    if key.startswith("`") and key.endswith("`") and len(key) >= 2:
        key = key[1:-1]
    elif key.startswith('"') and key.endswith('"') and len(key) >= 2:
        key = _unquote(key)
    if not key:
        raise InvalidParameter(f"Invalid filter: empty key in '{text}'.")
    return Identifier(kind, key)


class _Parser:
    def __init__(self, text: str, allow_or: bool) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.allow_or = allow_or

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
            node = self.expr()
            if self.take().text != ")":
                raise self.error("missing ')'.")
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        tok = self.take()
        if tok.kind != "ident":
            raise self.error(f"expected an identifier, got '{tok.text or 'end of filter'}'.")
        ident = _identifier(tok.text)
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
            number = float(tok.text)
            is_int = re.fullmatch(r"[-+]?\d+", tok.text) is not None
            return Comparison(ident, op, int(tok.text) if is_int else number, False)
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
            sep = self.take()
            if sep.text == ")":
                return tuple(values)
            if sep.text != ",":
                raise self.error("expected ',' or ')' in the IN list.")


def parse_filter(text: str | None, *, allow_or: bool = False) -> Node | None:
    """Parse a filter string; None for an empty filter. Raises InvalidParameter on bad syntax."""
    if text is None or not text.strip():
        return None
    return _Parser(text, allow_or).parse()


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
