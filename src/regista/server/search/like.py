"""A case-sensitive LIKE on both backends: PostgreSQL's LIKE is; SQLite's is not, so it becomes GLOB there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Boolean, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement


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
    inherit_cache = False
    type = Boolean()

    def __init__(self, column: Any, pattern: str) -> None:
        self.column = column
        self.pattern = pattern


@compiles(CaseSensitiveLike)
def _default(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.like(element.pattern), **kw)


@compiles(CaseSensitiveLike, "sqlite")
def _sqlite(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    glob: BindParameter[str] = bindparam(None, like_to_glob(element.pattern), unique=True)
    return f"({compiler.process(element.column, **kw)} GLOB {compiler.process(glob, **kw)})"


def case_sensitive_like(column: Any, pattern: str) -> ColumnElement[bool]:
    return CaseSensitiveLike(column, pattern)
