"""Turn a request (query string for GET, JSON body otherwise) into a validated request message."""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from regista.errors import InvalidParameter, RequestTooLarge
from regista.schemas.numbers import format_value, invalid_value, type_hint

M = TypeVar("M", bound=BaseModel)


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    names = set()
    for name, info in model.model_fields.items():
        ann = info.annotation
        origins = {typing.get_origin(ann)} | {typing.get_origin(a) for a in typing.get_args(ann)}
        if list in origins or ann is list:
            names.add(info.alias or name)
    return frozenset(names)


# Location entries pydantic adds for the members of a union field (`str | Int32`), not field names.
_UNION_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict"})


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if isinstance(p, int) or (p not in _UNION_TAGS and "[" not in p)]
    return ".".join(parts) or "body"


def validation_message(err: ValidationError) -> str:
    """MLflow's wording: "Missing value for required parameter 'x'." / "Invalid value v for parameter 'x'
    supplied: ..." (for a value of the wrong JSON type, MLflow's exact "Hint: Value was of type" text)."""
    errors = err.errors()
    first = errors[0]
    field = _field_path(first["loc"])
    # A union field reports one error per member: a specific one (out of range) beats "wrong type".
    first = next(
        (e for e in errors if _field_path(e["loc"]) == field and not e["type"].endswith("_type")), first
    )
    kind = first["type"]
    if kind == "missing":
        return f"Missing value for required parameter '{field}'."
    value = first.get("input")
    reason = type_hint(value) if kind.endswith("_type") else first["msg"]
    return invalid_value(field, value, reason)


def parse_message(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InvalidParameter(validation_message(err)) from None


async def read_body(request: Request) -> bytes:
    """The whole body of a JSON request, refused (413) beyond the server's limit (read_capped)."""
    limit: int = request.app.state.settings.max_request_body_bytes
    return await read_capped(request, limit, _too_large(limit))


async def read_capped(request: Request, limit: int, too_large: Exception) -> bytes:
    """The whole body, refused with `too_large` as soon as it is known to exceed `limit` bytes: from
    Content-Length before reading, or while a chunked body streams in. Never more than the limit is held
    in memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
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
    # JSON must escape NUL, so a body without the escape has none (no walk over every large body).
    if b"\\u0000" in body:
        refuse_nul(data)
    return data


def refuse_nul(data: Any, path: str = "") -> None:
    """400 for the first string holding a NUL character: PostgreSQL cannot store one, and refusing it on
    every backend keeps behaviour the same whichever database runs underneath."""
    if isinstance(data, str):
        if "\x00" in data:
            raise InvalidParameter(
                f"Invalid value {format_value(data)} for parameter '{path or 'body'}' supplied: "
                "strings must not contain NUL (\\u0000) characters."
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            refuse_nul(key, path or "body")
            refuse_nul(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            refuse_nul(value, f"{path}.{i}")


async def request_data(request: Request, list_fields: frozenset[str]) -> dict[str, Any]:
    """The raw message: query parameters for GET (repeated keys for list fields), else the JSON body."""
    if request.method != "GET":
        return await read_json_object(request)
    params = request.query_params
    data: dict[str, Any] = {}
    for key in params:
        data[key] = params.getlist(key) if key in list_fields else params[key]
    if not data:
        return await read_json_object(request)
    if b"%00" in request.scope.get("query_string", b""):
        refuse_nul(data)
    return data


def message(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A FastAPI dependency that parses `model` from the request the way the mlflow client sends it."""
    list_fields = _list_fields(model)

    async def dependency(request: Request) -> M:
        return parse_message(model, await request_data(request, list_fields))

    # Lets TransactionalRoute recognise the dependency and parse the message itself (see http/routing.py).
    dependency.message_model = model  # type: ignore[attr-defined]  # an attribute set on a function
    dependency.list_fields = list_fields  # type: ignore[attr-defined]  # an attribute set on a function
    return dependency


def query_data(request: Request, list_fields: frozenset[str]) -> dict[str, Any]:
    """The raw message from the query string alone, whatever the method (the body carries something else)."""
    params = request.query_params
    data: dict[str, Any] = {key: params.getlist(key) if key in list_fields else params[key] for key in params}
    refuse_nul(data)
    return data


def query_message(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """Like `message`, but the fields always travel in the query string (e.g. an upload whose body is the
    file)."""
    list_fields = _list_fields(model)

    async def dependency(request: Request) -> M:
        return parse_message(model, query_data(request, list_fields))

    dependency.message_model = model  # type: ignore[attr-defined]
    dependency.list_fields = list_fields  # type: ignore[attr-defined]
    dependency.from_query = True  # type: ignore[attr-defined]
    return dependency
