"""Request dependencies: one transaction per request (committed here, in one place) and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from regista.server.db.engine import WRITE_OPTION
from regista.server.principal import ANONYMOUS_ADMIN, Principal
from regista.server.services.context import Context


def current_principal(request: Request) -> Principal:
    """The caller; authentication is a later issue, so for now every caller is the embedded admin."""
    return ANONYMOUS_ADMIN


def _context(request: Request, write: bool) -> Iterator[Context]:
    state = request.app.state
    with state.engine.connect() as conn:
        if write:
            # SQLite: BEGIN IMMEDIATE (see db/engine.py) so the write lock is taken before any read.
            conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            # Leaving this block commits (or rolls back on an exception) before the response is sent,
            # because the dependency is declared with scope="function".
            yield Context(conn, current_principal(request), state.artifacts, state.settings)


def write_context(request: Request) -> Iterator[Context]:
    yield from _context(request, write=True)


def read_context(request: Request) -> Iterator[Context]:
    yield from _context(request, write=False)


WriteCtx = Annotated[Context, Depends(write_context, scope="function")]
ReadCtx = Annotated[Context, Depends(read_context, scope="function")]
