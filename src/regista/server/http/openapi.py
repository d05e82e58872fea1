"""The OpenAPI document served at /openapi.json: FastAPI's paths, completed with each operation's request."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic.json_schema import models_json_schema

from regista import __version__
from regista.server.http.authentication import OPEN_PATHS

REF = "#/components/schemas/"

DESCRIPTION = """\
A self-hosted, MLflow-compatible model lifecycle server. Every error is MLflow's JSON envelope
`{"error_code": ..., "message": ...}`.

The MLflow routes are also served under `/ajax-api/2.0/mlflow` and the Databricks registry routes under
`/api/2.0/preview/mlflow` and `/ajax-api/2.0/preview/mlflow` (the same operations; listed once here).
Request bodies are capped (REGISTA_MAX_REQUEST_BODY_BYTES, 413); URLs are limited to 65535 bytes (414).
"""

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error_code", "message"],
    "properties": {
        "error_code": {"type": "string", "examples": ["INVALID_PARAMETER_VALUE"]},
        "message": {"type": "string"},
    },
}
ERROR_RESPONSE: dict[str, Any] = {
    "description": "An error, in MLflow's envelope.",
    "content": {"application/json": {"schema": {"$ref": REF + "Error"}}},
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A personal access token; required when the server runs with authentication on.",
}


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document (built once, on first request) instead of FastAPI's default."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


def build_openapi(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(title="regista", version=__version__, description=DESCRIPTION, routes=app.routes)
    routes = [
        ctx for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute) and ctx.include_in_schema
    ]
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    # FastAPI's 422 schemas describe answers this server never sends (see _document_responses).
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {"bearerAuth": BEARER}
    doc["security"] = [{"bearerAuth": []}]
    model_refs = _add_model_schemas(routes, schemas)
    for ctx, method, operation_id in _operations(routes):
        operation = doc["paths"][ctx.path_format][method.lower()]
        operation["operationId"] = operation_id
        _add_path_parameters(operation, ctx.path_format)
        message = getattr(ctx.original_route, "request_message", None)
        if message is not None:
            model, query_only = message
            name = model_refs[model]
            if query_only or method == "GET":
                _add_query_parameters(operation, schemas[name])
            else:
                operation["requestBody"] = _json_body(name, schemas[name])
        _document_responses(operation.setdefault("responses", {}))
        if ctx.path_format in OPEN_PATHS:
            operation["security"] = []
    return doc


def _document_responses(responses: dict[str, Any]) -> None:
    # FastAPI documents a 422 for its own validation; this server answers 400 in the envelope instead.
    responses.pop("422", None)
    for status, response in responses.items():
        json_content = response.get("content", {}).get("application/json")
        if status.startswith("2") and json_content is not None:
            response["description"] = "Success"
            json_content["schema"] = {"type": "object"}
    responses["default"] = ERROR_RESPONSE


def _operations(routes: list[Any]) -> list[tuple[Any, str, str]]:
    """(route, method, operationId) for every operation. The id is the handler's name (the MLflow operation
    name); a handler served by several methods (search by GET and POST) keeps it for POST, the others
    get a `_<method>` suffix."""
    by_name: dict[str, list[tuple[Any, str]]] = {}
    for ctx in routes:
        for method in ctx.methods:
            by_name.setdefault(ctx.name, []).append((ctx, method))
    out: list[tuple[Any, str, str]] = []
    for name, group in by_name.items():
        group.sort(key=lambda item: (item[1] != "POST", item[1], item[0].path_format))
        for i, (ctx, method) in enumerate(group):
            out.append((ctx, method, name if i == 0 else f"{name}_{method.lower()}"))
    ids = [op_id for _ctx, _method, op_id in out]
    if len(ids) != len(set(ids)):
        raise RuntimeError(f"duplicate operation ids: {sorted(i for i in ids if ids.count(i) > 1)}")
    return out


def _add_model_schemas(routes: list[Any], schemas: dict[str, Any]) -> dict[Any, str]:
    """Put every request model's JSON schema into the components; return each model's component name."""
    models = {
        message[0] for ctx in routes if (message := getattr(ctx.original_route, "request_message", None))
    }
    ordered = sorted(models, key=lambda m: (m.__name__, m.__module__))
    refs, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=REF + "{model}")
    schemas.update(defs.get("$defs", {}))
    return {model: ref["$ref"].removeprefix(REF) for (model, _mode), ref in refs.items()}


def _add_path_parameters(operation: dict[str, Any], path: str) -> None:
    """Fast-path handlers take their path parameters from the request, so FastAPI does not list them."""
    parameters = operation.setdefault("parameters", [])
    declared = {(p["in"], p["name"]) for p in parameters}
    for name in re.findall(r"{(\w+)", path):
        if ("path", name) not in declared:
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if not parameters:
        del operation["parameters"]


def _add_query_parameters(operation: dict[str, Any], model_schema: dict[str, Any]) -> None:
    """One query parameter per message field; list fields repeat the key (`?k=a&k=b`)."""
    required = set(model_schema.get("required", ()))
    parameters = operation.setdefault("parameters", [])
    for name, prop in model_schema.get("properties", {}).items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        schema = _without_null(prop)
        if schema.get("type") == "array":
            param.update(style="form", explode=True)
        param["schema"] = schema
        parameters.append(param)
    if not parameters:
        del operation["parameters"]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is present or absent, never JSON null: drop the null branch of an optional field."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "default")}
    options = schema.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        schema.pop("anyOf")
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    return schema


def _json_body(name: str, model_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        # An empty body reads as `{}`, so the body itself is only required when the message has required fields.
        "required": bool(model_schema.get("required")),
        "content": {"application/json": {"schema": {"$ref": REF + name}}},
    }
