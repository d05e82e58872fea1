"""Route class for the API handlers: parse, open the context, run the handler and finish its transaction
in one worker-thread hop.

Handlers keep FastAPI's declarative signature (`ctx: ReadCtx`, `req: Annotated[M, Depends(message(M))]`,
path parameters as `str`). For such a handler the route does the work of those dependencies itself:
FastAPI's generic dependency solving, the async-generator context and a second thread hop for the commit
cost more per request than the handler's own queries. Handlers of any other shape run through FastAPI's
normal path, with the commit still done in their worker thread.

This module is the one place a request's transaction ends (`Context.finish`, called by `_run_and_finish`).
A handler whose work continues outside the transaction (streaming a file in or out, deleting files)
returns `outside_transaction(fn, *args)`: the route first finishes the transaction, then awaits
`fn(request, *args)` for the response.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi.datastructures import DefaultPlaceholder
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from regista.server.context import Context
from regista.server.http.deps import WRITES, request_context
from regista.server.http.parsing import parse_message, query_data, refuse_nul, request_data


def _run_and_finish(endpoint: Callable[..., Any], kwargs: dict[str, Any], contexts: list[Context]) -> Any:
    """Run a sync handler, then commit (or roll back) its transactions and run their side effects, in the
    calling thread. The only caller of Context.finish for requests."""
    try:
        result = endpoint(**kwargs)
    except BaseException:
        for ctx in contexts:
            ctx.finish(commit=False)
        raise
    for ctx in contexts:
        ctx.finish(commit=True)
    return result


@dataclass(frozen=True)
class OutsideTransaction:
    """The rest of a handler's work, run once its transaction has ended (see `outside_transaction`)."""

    fn: Callable[..., Awaitable[Response]]
    args: tuple[Any, ...]


def outside_transaction(fn: Callable[..., Awaitable[Response]], *args: Any) -> OutsideTransaction:
    """Returned by a fast-path handler: the route ends the transaction, then answers with
    `await fn(request, *args)`. For file I/O (streamed bodies, listings, deletes), which must never run
    while a transaction is open; its errors reach the client like the handler's own."""
    return OutsideTransaction(fn, args)


@dataclass(frozen=True)
class _Plan:
    """How to call a handler without FastAPI's dependency solving."""

    context_param: str
    write: bool
    message_param: str | None
    message_model: Any
    list_fields: frozenset[str]
    from_query: bool
    path_params: tuple[str, ...]


def _plan(endpoint: Callable[..., Any], path: str) -> _Plan | None:
    """The fast-path plan for `endpoint`, or None when its signature has anything else."""
    if inspect.iscoroutinefunction(endpoint):
        return None
    hints = typing.get_type_hints(endpoint, include_extras=True)
    context_param = message_param = None
    write = False
    model = None
    list_fields: frozenset[str] = frozenset()
    from_query = False
    path_params = []
    for name in inspect.signature(endpoint).parameters:
        hint = hints.get(name)
        meta = getattr(hint, "__metadata__", ())
        dep = next((m.dependency for m in meta if isinstance(m, Depends)), None)
        if dep in WRITES and context_param is None:
            context_param, write = name, WRITES[dep]
        elif dep is not None and hasattr(dep, "message_model") and message_param is None:
            # message() (http/parsing.py) sets list_fields next to message_model.
            message_param, model = name, dep.message_model
            list_fields = dep.list_fields  # type: ignore[attr-defined]
            from_query = getattr(dep, "from_query", False)
        elif hint is str and "{" + name in path:
            path_params.append(name)
        else:
            return None
    if context_param is None:
        return None
    return _Plan(context_param, write, message_param, model, list_fields, from_query, tuple(path_params))


def _request_message(endpoint: Callable[..., Any]) -> tuple[Any, bool] | None:
    """The request message model `endpoint` declares, and whether it always travels in the query string
    (otherwise: the query for GET, the JSON body for other methods). Read by http/openapi.py."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    for hint in hints.values():
        for meta in getattr(hint, "__metadata__", ()):
            dep: Any = getattr(meta, "dependency", None) if isinstance(meta, Depends) else None
            if hasattr(dep, "message_model"):
                return dep.message_model, getattr(dep, "from_query", False)
            if hasattr(dep, "query_model"):
                return dep.query_model, True
    return None


def _fast_endpoint(endpoint: Callable[..., Any], plan: _Plan) -> Callable[..., Any]:
    async def handle(request: Request) -> Any:
        kwargs: dict[str, Any] = {name: request.path_params[name] for name in plan.path_params}
        if plan.path_params:
            refuse_nul(kwargs)
        if plan.message_param is not None:
            if plan.from_query:
                data = query_data(request, plan.list_fields)
            else:
                data = await request_data(request, plan.list_fields)
            kwargs[plan.message_param] = parse_message(plan.message_model, data)
        ctx = request_context(request, plan.write)
        kwargs[plan.context_param] = ctx
        if not plan.write and request.app.state.inline_reads:
            # SQLite reads answer from the page cache in microseconds and hold the GIL while they
            # run: a thread hop costs more than the read, and threads contending for the GIL waste CPU.
            result = _run_and_finish(endpoint, kwargs, [ctx])
        else:
            result = await anyio.to_thread.run_sync(_run_and_finish, endpoint, kwargs, [ctx])
        if type(result) is OutsideTransaction:
            return await result.fn(request, *result.args)
        return result

    handle.__name__ = endpoint.__name__
    handle.__doc__ = endpoint.__doc__
    return handle


def _finishing_in_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a sync handler so its transactions finish before its worker thread returns."""

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        contexts = [v for v in kwargs.values() if isinstance(v, Context)]
        return _run_and_finish(functools.partial(endpoint, *args), kwargs, contexts)

    return handler


def _declares_context(endpoint: Callable[..., Any]) -> bool:
    hints = typing.get_type_hints(endpoint, include_extras=True)
    return any(
        isinstance(m, Depends) and m.dependency in WRITES
        for hint in hints.values()
        for m in getattr(hint, "__metadata__", ())
    )


class TransactionalRoute(APIRoute):
    """APIRoute whose sync handlers run, with their commit, in a single worker-thread hop."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # The fast path hides the message from FastAPI's dependency tree; the OpenAPI schema gets it here.
        self.request_message = _request_message(endpoint)
        # Handlers return Responses; without this the fast endpoint's `-> Any` would read as a response model.
        if isinstance(kwargs.get("response_model", DefaultPlaceholder(None)), DefaultPlaceholder):
            kwargs["response_model"] = None
        plan = _plan(endpoint, path)
        if plan is not None:
            endpoint = _fast_endpoint(endpoint, plan)
        elif not inspect.iscoroutinefunction(endpoint):
            endpoint = _finishing_in_thread(endpoint)
        elif _declares_context(endpoint):
            # Nothing would end its transaction: services are sync, so a handler that uses one is too.
            raise TypeError(f"{endpoint.__name__}: a handler taking ReadCtx/WriteCtx must be a plain def")
        super().__init__(path, endpoint, **kwargs)
