"""A case-sensitive LIKE on both backends: PostgreSQL's LIKE is; SQLite's is not, so it becomes GLOB there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Boolean, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


def like_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern (% _ with backslash escapes) into a GLOB pattern (* ? [..])."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            ch = pattern[i]
            out.append(f"[{ch}]" if ch in "*?[]" else ch)
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[]":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


class CaseSensitiveLike(ColumnElement[bool]):
    """`column LIKE pattern` (GLOB on SQLite). Both spellings of the pattern are bound parameters that take
    part in the cache key, so a statement with this filter compiles once per shape, not once per request
    (a search statement with a name filter cost ~1 ms to compile)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("like_pattern", InternalTraversal.dp_clauseelement),
        ("glob_pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, pattern: str) -> None:
        self.column = column
        # Not `like`/`glob`: ColumnElement has a like() method.
        self.like_pattern: BindParameter[str] = bindparam(None, pattern, unique=True)
        self.glob_pattern: BindParameter[str] = bindparam(None, like_to_glob(pattern), unique=True)


@compiles(CaseSensitiveLike)
def _default(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} LIKE {compiler.process(element.like_pattern, **kw)})"


@compiles(CaseSensitiveLike, "sqlite")
def _sqlite(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} GLOB {compiler.process(element.glob_pattern, **kw)})"


def case_sensitive_like(column: Any, pattern: str) -> ColumnElement[bool]:
    return CaseSensitiveLike(column, pattern)
