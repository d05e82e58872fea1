"""ASGI middleware that authenticates every request (except the few open paths) before routing.

It runs ahead of FastAPI, so no route can forget it. A cached token costs a hash and a dict lookup on the
event loop; a cache miss reads the database in a worker thread.

Callers present a token (`Authorization: Bearer`/`Basic`), or, from the web UI, the session cookie
(http/browser.py): a cookie is only looked at when no Authorization header is sent, and every
state-changing request it authenticates must carry the session's CSRF token (else 403). A browser
navigation without credentials is redirected to the sign-in page instead of answered with a 401.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio.to_thread
from starlette.responses import RedirectResponse, Response

from regista.errors import PermissionDenied, RegistaError, Unauthenticated
from regista.server.http import browser
from regista.server.http.error_handlers import error_response

PRINCIPAL_KEY = "regista.principal"
# Paths anyone may call: liveness, the version, the OpenAPI document (the same for every server of a
# version, like /version) and the discovery document the databricks-sdk probes for before it sends
# credentials.
OPEN_PATHS = frozenset({"/health", "/version", "/openapi.json"})
OPEN_PREFIXES = ("/.well-known/",)


class AuthenticationMiddleware:
    def __init__(
        self,
        app: Any,
        state: Any,
        open_paths: Iterable[str] = (),
        open_prefixes: Iterable[str] = (),
        signin_path: str | None = None,
    ) -> None:
        self.app = app
        # The application state; its `authenticator` is set by the lifespan once the database is ready.
        self.state = state
        # More open paths, handed in by app.py (the web UI's sign-in page and static files).
        self.open_paths = OPEN_PATHS | frozenset(open_paths)
        self.open_prefixes = OPEN_PREFIXES + tuple(open_prefixes)
        self.signin_path = signin_path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in self.open_paths or path.startswith(self.open_prefixes):
            await self.app(scope, receive, send)
            return
        header = browser.header(scope, b"authorization")
        session = None if header is not None else browser.cookie(scope, browser.SESSION_COOKIE)
        if session is not None:
            await self._with_session(session, scope, receive, send)
            return
        if header is None and self.signin_path is not None and browser.wants_page(scope):
            await RedirectResponse(browser.signin_location(scope, self.signin_path), 303)(scope, receive, send)
            return
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

    async def _with_session(self, session: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        authenticator = self.state.authenticator
        try:
            principal = authenticator.cached_session(session)
            if principal is None:
                principal = await anyio.to_thread.run_sync(authenticator.authenticate_session, session)
        except RegistaError as err:
            response: Response
            if isinstance(err, Unauthenticated) and self.signin_path is not None and browser.wants_page(scope):
                response = RedirectResponse(browser.signin_location(scope, self.signin_path), 303)
                response.delete_cookie(browser.SESSION_COOKIE, path="/")
            else:
                response = error_response(err)
            await response(scope, receive, send)
            return
        expected = browser.csrf_token(session)
        if scope["method"] not in browser.SAFE_METHODS:
            sent = browser.header(scope, browser.CSRF_HEADER)
            if sent is None and browser.is_form(scope):
                body = await _read_body(receive)
                if body is None:
                    await error_response(PermissionDenied("The form is too large."))(scope, receive, send)
                    return
                sent = browser.form_csrf(body)
                receive = _replay(body, receive)
            if not browser.same_token(sent, expected):
                refusal = PermissionDenied("Missing or invalid CSRF token: reload the page and try again.")
                await error_response(refusal)(scope, receive, send)
                return
        scope[PRINCIPAL_KEY] = principal
        scope[browser.CSRF_KEY] = expected
        await self.app(scope, receive, send)


async def _read_body(receive: Any) -> bytes | None:
    """The whole request body (None past MAX_FORM_BYTES)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > browser.MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """A receive callable that hands the application the body already read, then defers to the server."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: dict[str, Any] = await receive()
        return message

    return replay
