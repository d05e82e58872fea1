"""Request dependencies: one transaction per request (committed here, in one place) and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio.to_thread
from fastapi import Depends
from starlette.requests import Request

from regista.server.context import Context
from regista.server.db.unit_of_work import UnitOfWork
from regista.server.http.authentication import PRINCIPAL_KEY
from regista.server.principal import ANONYMOUS_ADMIN, Principal


def current_principal(request: Request) -> Principal:
    """The caller: set by the authentication middleware, or the built-in admin when auth is off."""
    principal: Principal | None = request.scope.get(PRINCIPAL_KEY)
    if principal is not None:
        return principal
    default: Principal = getattr(request.app.state, "default_principal", ANONYMOUS_ADMIN)
    return default


def request_context(request: Request, write: bool) -> Context:
    """A Context for this request; its transaction opens on first use (see UnitOfWork)."""
    state = request.app.state
    uow = UnitOfWork(
        state.engine, write=write, write_lock=state.write_lock, busy_timeout_s=state.settings.sqlite_busy_timeout_s
    )
    return Context(uow, current_principal(request), state.artifacts, state.settings, state.authenticator)


def _context_dependency(write: bool) -> Callable[[Request], AsyncIterator[Context]]:
    async def dependency(request: Request) -> AsyncIterator[Context]:
        state = request.app.state
        ctx = request_context(request, write)
        uow = ctx.uow
        # The transaction opens lazily inside the handler's worker thread (see UnitOfWork). Finishing runs
        # on its own limiter so a commit never waits behind handlers that are waiting for a lock.
        # scope="function" (below) runs this before the response is sent, so commit errors reach the client.
        try:
            yield ctx
        except BaseException:
            if uow.holds_resources:
                await anyio.to_thread.run_sync(uow.finish, False, limiter=state.finish_limiter)
            raise
        if uow.holds_resources:
            await anyio.to_thread.run_sync(uow.finish, True, limiter=state.finish_limiter)

    return dependency


write_context = _context_dependency(write=True)
read_context = _context_dependency(write=False)
# Which context dependency means a writing transaction (read by http/routing.py).
WRITES = {write_context: True, read_context: False}

WriteCtx = Annotated[Context, Depends(write_context, scope="function")]
ReadCtx = Annotated[Context, Depends(read_context, scope="function")]
