"""Request dependencies: the request's Context (its transaction is ended by http/routing.py) and the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

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
    return Context(uow, current_principal(request), state.artifacts, state.settings, state.authenticator,
                   state.events_recorded)


def _context_dependency(write: bool) -> Callable[[Request], Awaitable[Context]]:
    async def dependency(request: Request) -> Context:
        # Only the Context: TransactionalRoute (http/routing.py) ends its transaction, in the handler's
        # worker thread, before the response is sent. The transaction itself opens on first use.
        return request_context(request, write)

    return dependency


write_context = _context_dependency(write=True)
read_context = _context_dependency(write=False)
# Which context dependency means a writing transaction (read by http/routing.py).
WRITES = {write_context: True, read_context: False}

WriteCtx = Annotated[Context, Depends(write_context, scope="function")]
ReadCtx = Annotated[Context, Depends(read_context, scope="function")]


def public_base_url(request: Request) -> str:
    """This server's address as clients reach it: REGISTA_PUBLIC_URL behind a proxy, else the request's own."""
    public = request.app.state.settings.public_url
    return str(public or request.base_url).rstrip("/")
