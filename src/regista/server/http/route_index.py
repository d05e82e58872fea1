"""Dispatch requests for fixed paths with one dictionary lookup instead of FastAPI's linear route scan.

FastAPI matches a request by walking every route of every included router, with per-route scope
bookkeeping; with the MLflow API mounted under two prefixes that walk was ~15 % of the CPU of a cheap
call. Nearly every MLflow endpoint has a fixed path (parameters travel in the query or body), so those
routes are also registered here, keyed by their full path; routes with path parameters keep the normal
scan. A method mismatch is a partial match, answered with a 405 that allows every method of the path.

A route whose endpoint is already `async (request) -> Response` (the fast-path handlers of http/routing.py)
is called directly: FastAPI's per-request wrapper (two exit stacks, dependency solving with nothing to
solve, its own exception wrapper) adds nothing for it. Exceptions still reach the same handlers, installed
on the application's exception middleware.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable

from fastapi.routing import APIRoute, APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from regista.errors import MethodNotAllowed

LeanEndpoint = Callable[[Request], Awaitable[Response]]

_SELECTED = "regista.indexed_route"


class ExactPathIndex(BaseRoute):
    """A route that stands for every fixed-path route it holds."""

    def __init__(self) -> None:
        self._by_path: dict[str, list[APIRoute]] = {}
        # By id(): routes are not hashable, and they live as long as the index.
        self._lean: dict[int, LeanEndpoint] = {}

    def add_router(self, router: APIRouter, prefix: str) -> None:
        """Index the fixed-path routes of `router` as they are served under `prefix`."""
        for route in router.routes:
            if not isinstance(route, APIRoute) or "{" in route.path:
                continue
            full = APIRoute(
                prefix + route.path,
                route.endpoint,
                methods=route.methods,
                name=route.name,
                response_class=route.response_class,
                include_in_schema=False,
            )
            self._by_path.setdefault(full.path, []).append(full)
            if _takes_only_the_request(route):
                self._lean[id(full)] = route.endpoint

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        routes = self._by_path.get(scope["path"])
        if not routes:
            return Match.NONE, {}
        partial = False
        for route in routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                child[_SELECTED] = route
                return match, child
            partial = partial or match is Match.PARTIAL
        # The path is known, the method is not: a partial match, so that a later route (with the same
        # path and this method) still wins; if none does, handle() answers 405.
        return (Match.PARTIAL, {_SELECTED: None}) if partial else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = scope[_SELECTED]
        if route is None:
            raise MethodNotAllowed({m for r in self._by_path[scope["path"]] for m in r.methods or ()})
        endpoint = self._lean.get(id(route))
        if endpoint is None:
            await route.handle(scope, receive, send)
            return
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)


def _takes_only_the_request(route: APIRoute) -> bool:
    """Whether FastAPI would only hand `route`'s endpoint the request and send back the Response it returns:
    a coroutine with a single `Request` parameter, no dependencies, status code or background work of the
    route's own (the fast-path handlers of http/routing.py return Responses)."""
    endpoint = route.endpoint
    if not inspect.iscoroutinefunction(endpoint) or route.dependencies or route.status_code is not None:
        return False
    params = list(inspect.signature(endpoint).parameters)
    hints = typing.get_type_hints(endpoint)
    return len(params) == 1 and hints.get(params[0]) is Request
