"""The one place errors become HTTP responses, always in MLflow's {"error_code", "message"} envelope."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import RegistaError
from regista.server.api.responses import JSON

log = logging.getLogger("regista.errors")


def _envelope(status: int, error_code: str, message: str) -> Response:
    return JSON({"error_code": error_code, "message": message}, status_code=status)


async def _regista_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistaError)
    return _envelope(exc.http_status, exc.error_code, exc.message)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    return _envelope(400, "INVALID_PARAMETER_VALUE", f"Invalid value for parameter '{field}': {first['msg']}")


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _envelope(404, "ENDPOINT_NOT_FOUND", "No API endpoint at this path.")
    if exc.status_code == 405:
        return _envelope(405, "BAD_REQUEST", "Method not allowed for this endpoint.")
    return _envelope(exc.status_code, "BAD_REQUEST", str(exc.detail))


async def _operational_error(_request: Request, exc: Exception) -> Response:
    # A SQLite lock timeout (or a PostgreSQL serialization failure) is retryable: 503 makes the client retry.
    log.warning("database busy: %s", exc)
    return _envelope(503, "TEMPORARILY_UNAVAILABLE", "The database is busy; retry the request.")


async def _integrity_error(_request: Request, exc: Exception) -> Response:
    # Services check constraints first; a race that still reaches the database is the caller's conflict,
    # and must not be a 5xx (the mlflow client would retry it for minutes).
    log.info("integrity error: %s", exc)
    return _envelope(400, "INVALID_PARAMETER_VALUE", "The request conflicts with existing data.")


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return _envelope(500, "INTERNAL_ERROR", "Internal server error.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RegistaError, _regista_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)
