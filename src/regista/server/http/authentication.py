"""ASGI middleware that authenticates every request (except the few open paths) before routing.

It runs ahead of FastAPI, so no route can forget it. A cached token costs a hash and a dict lookup on the
event loop; a cache miss reads the database in a worker thread.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from regista.errors import RegistaError
from regista.server.http.error_handlers import error_response

PRINCIPAL_KEY = "regista.principal"
# Paths anyone may call: liveness, the version, the OpenAPI document (the same for every server of a
# version, like /version) and the discovery document the databricks-sdk probes for before it sends
# credentials.
OPEN_PATHS = frozenset({"/health", "/version", "/openapi.json"})
OPEN_PREFIXES = ("/.well-known/",)


class AuthenticationMiddleware:
    def __init__(self, app: Any, state: Any) -> None:
        self.app = app
        # The application state; its `authenticator` is set by the lifespan once the database is ready.
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        header = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                header = value.decode("latin-1")
                break
        authenticator = self.state.authenticator
        try:
            principal = authenticator.cached(header)
            if principal is None:
                principal = await anyio.to_thread.run_sync(authenticator.authenticate, header)
        except RegistaError as err:
            await error_response(err)(scope, receive, send)
            return
        scope[PRINCIPAL_KEY] = principal
        await self.app(scope, receive, send)
