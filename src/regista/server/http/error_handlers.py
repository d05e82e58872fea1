"""The one place errors become HTTP responses, always in MLflow's {"error_code", "message"} envelope.

Every error, expected or not, is answered here, and none escapes to Starlette's ServerErrorMiddleware: that
middleware re-raises after sending its 500, and uvicorn then drops the keep-alive connection without a
`Connection: close`, so the client's next request on that connection fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regista.errors import (
    BadRequest,
    EndpointNotFound,
    InternalError,
    InvalidParameter,
    MethodNotAllowed,
    RegistaError,
    TemporarilyUnavailable,
)
from regista.server.http.responses import JSON

log = logging.getLogger("regista.errors")


def error_response(err: RegistaError) -> Response:
    """The one renderer: every error response the server sends is built here from a RegistaError."""
    return JSON(err.to_json(), status_code=err.http_status, headers=err.headers)


def _validation_error(exc: RequestValidationError) -> RegistaError:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    return InvalidParameter(f"Invalid value for parameter '{field}': {first['msg']}")


def _http_error(exc: HTTPException) -> RegistaError:
    # Starlette's routing raises these: 404 for an unknown path, 405 for a known path's wrong method.
    if exc.status_code == 404:
        return EndpointNotFound()
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "")
        return MethodNotAllowed(m.strip() for m in allow.split(",") if m.strip())
    if exc.status_code >= 500:
        log.error("HTTP error %s: %s", exc.status_code, exc.detail)
        return InternalError("Internal server error.")
    # The rest are 400s (an unparseable form body).
    return BadRequest(str(exc.detail))


# SQLite errors that a request's content causes (a filter too large for one statement): the same request
# will fail again, so they are 400, not a retryable 503 that clients would retry for minutes.
_SQLITE_INPUT_ERRORS = (
    "expression tree is too large",
    "too many sql variables",
    "too many terms in compound select",
    "parser stack overflow",
    "like or glob pattern too complex",
    "string or blob too big",
    "at most 64 tables in a join",
)
# PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock, lock not available, shutdown,
# connection problems (class 08) and insufficient resources (class 53).
_PG_RETRYABLE = ("40001", "40P01", "55P03", "57P01", "57P02", "57P03", "08", "53")


def _operational_kind(exc: OperationalError) -> str:
    """'busy' (retryable), 'input' (the request is too large or complex) or 'internal'."""
    if exc.connection_invalidated:
        return "busy"
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", None)
    if name is not None:
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return "busy"
        text = str(orig).lower()
        return "input" if name == "SQLITE_TOOBIG" or any(m in text for m in _SQLITE_INPUT_ERRORS) else "internal"
    state = getattr(orig, "sqlstate", None) or ""
    if state.startswith(_PG_RETRYABLE):
        return "busy"
    # Class 54: program limit exceeded (statement too complex, stack depth).
    return "input" if state.startswith("54") else "internal"


def _operational_error(exc: OperationalError) -> RegistaError:
    kind = _operational_kind(exc)
    if kind == "busy":
        # A lock timeout (or a PostgreSQL serialization failure) is retryable: 503 makes the client retry.
        log.warning("database busy: %s", exc.orig)
        return TemporarilyUnavailable("The database is busy; retry the request.")
    if kind == "input":
        log.info("request too large for the database: %s", exc.orig)
        return InvalidParameter(f"The request is too large or complex for the database: {exc.orig}")
    log.error("database error", exc_info=exc)
    return InternalError("Internal server error.")


def _data_error(exc: DataError) -> RegistaError:
    # Values the database cannot hold (out of range, too long). Parsing refuses the known cases first;
    # whatever still reaches the database is the caller's input, and must not be a 5xx.
    log.info("data error: %s", exc.orig)
    return InvalidParameter(f"Invalid value: {exc.orig}")


def _integrity_error(exc: IntegrityError) -> RegistaError:
    # Services check constraints first; a race that still reaches the database is the caller's conflict,
    # and must not be a 5xx (the mlflow client would retry it for minutes).
    log.info("integrity error: %s", exc)
    return InvalidParameter("The request conflicts with existing data.")


# The exceptions that are answered as an error of the request; anything else is a 500.
_TRANSLATORS: dict[type[Exception], Callable[[Any], RegistaError]] = {
    RequestValidationError: _validation_error,
    HTTPException: _http_error,
    OperationalError: _operational_error,
    DataError: _data_error,
    IntegrityError: _integrity_error,
}


def as_regista_error(exc: Exception) -> RegistaError:
    """The RegistaError `exc` is answered as: itself, its translation, or a 500 for the unexpected."""
    if isinstance(exc, RegistaError):
        return exc
    for exc_type, translate in _TRANSLATORS.items():
        if isinstance(exc, exc_type):
            return translate(exc)
    log.error("unhandled error", exc_info=exc)
    return InternalError("Internal server error.")


async def _handle(_request: Request, exc: Exception) -> Response:
    return error_response(as_regista_error(exc))


class CatchAllMiddleware:
    """Answers any exception that escaped the handlers with the envelope (500 for the unexpected ones),
    without re-raising, so uvicorn keeps the connection open for the client's next request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                # Part of a response is already out (a streamed download): the connection cannot be
                # reused, and closing it is the only honest signal left.
                raise
            await error_response(as_regista_error(exc))(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers for the known errors; call after adding every other middleware, so the catch-all is the
    outermost of them and also answers errors raised by middleware (authentication)."""
    handled: list[type[Exception]] = [RegistaError, *_TRANSLATORS]
    for exc_type in handled:
        app.add_exception_handler(exc_type, _handle)
    app.add_middleware(CatchAllMiddleware)
