"""Turn a request (query string for GET, JSON body otherwise) into a validated request message."""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from regista.errors import InvalidParameter, RequestTooLarge

M = TypeVar("M", bound=BaseModel)


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    names = set()
    for name, info in model.model_fields.items():
        ann = info.annotation
        origins = {typing.get_origin(ann)} | {typing.get_origin(a) for a in typing.get_args(ann)}
        if list in origins or ann is list:
            names.add(info.alias or name)
    return frozenset(names)


def validation_message(err: ValidationError) -> str:
    """MLflow's wording: "Missing value for required parameter 'x'" / "Invalid value v for parameter 'x'"."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    if first["type"] == "missing":
        return f"Missing value for required parameter '{field}'."
    return (
        f"Invalid value {first.get('input')!r} for parameter '{field}' supplied: {first['msg']}"
    )


def parse_message(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InvalidParameter(validation_message(err)) from None


async def read_body(request: Request) -> bytes:
    """The whole body of a JSON request, refused (413) as soon as it is known to exceed the server's limit:
    from Content-Length before reading, or while a chunked body streams in. Never more than the limit is
    held in memory."""
    limit: int = request.app.state.settings.max_request_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"Request body is larger than the server's limit of {limit} bytes (REGISTA_MAX_REQUEST_BODY_BYTES)."
    )


async def read_json_object(request: Request) -> dict[str, Any]:
    body = await read_body(request)
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidParameter("Malformed request body: not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidParameter("Malformed request body: expected a JSON object.")
    return data


async def request_data(request: Request, list_fields: frozenset[str]) -> dict[str, Any]:
    """The raw message: query parameters for GET (repeated keys for list fields), else the JSON body."""
    if request.method != "GET":
        return await read_json_object(request)
    params = request.query_params
    data: dict[str, Any] = {}
    for key in params:
        data[key] = params.getlist(key) if key in list_fields else params[key]
    return data or await read_json_object(request)


def message(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A FastAPI dependency that parses `model` from the request the way the mlflow client sends it."""
    list_fields = _list_fields(model)

    async def dependency(request: Request) -> M:
        return parse_message(model, await request_data(request, list_fields))

    # Lets TransactionalRoute recognise the dependency and parse the message itself (see api/routing.py).
    dependency.message_model = model  # type: ignore[attr-defined]
    dependency.list_fields = list_fields  # type: ignore[attr-defined]
    return dependency
