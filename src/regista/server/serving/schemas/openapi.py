"""The OpenAPI document of a serving endpoint's invocations (`get_open_api`), built from the served
models' signatures: the four input formats with the signature's columns and types."""

from __future__ import annotations

from typing import Any

# MLflow signature column types -> JSON schema types.
_JSON_TYPES = {
    "double": "number", "float": "number", "long": "integer", "integer": "integer", "boolean": "boolean",
    "string": "string", "binary": "string", "datetime": "string",
}


def _column_schema(column: dict[str, Any]) -> dict[str, Any]:
    if column.get("type") == "tensor":
        return {"type": "array", "items": {}}
    return {"type": _JSON_TYPES.get(str(column.get("type")), "string")}


def _request_schema(inputs: list[dict[str, Any]] | None) -> dict[str, Any]:
    if not inputs:
        return {"type": "object", "description": "This model has no signature: any of the four input formats."}
    names = [c.get("name") for c in inputs if c.get("name")]
    properties = {c["name"]: _column_schema(c) for c in inputs if c.get("name")}
    required = [c["name"] for c in inputs if c.get("name") and c.get("required", True)]
    record = {"type": "object", "properties": properties, "required": required}
    return {
        "oneOf": [
            {"type": "object", "required": ["dataframe_split"], "properties": {"dataframe_split": {
                "type": "object", "required": ["columns", "data"],
                "properties": {"columns": {"type": "array", "items": {"type": "string", "enum": names}},
                               "data": {"type": "array", "items": {"type": "array"}}}}}},
            {"type": "object", "required": ["dataframe_records"],
             "properties": {"dataframe_records": {"type": "array", "items": record}}},
            {"type": "object", "required": ["instances"],
             "properties": {"instances": {"type": "array", "items": record}}},
            {"type": "object", "required": ["inputs"], "properties": {"inputs": {
                "type": "object", "properties": {k: {"type": "array", "items": v} for k, v in properties.items()}}}},
        ],
        "properties": {"params": {"type": "object"}},
    }


def _operation(served: str, inputs: list[dict[str, Any]] | None, outputs: list[dict[str, Any]] | None) -> dict[str, Any]:
    predictions: dict[str, Any] = {"type": "array"}
    if outputs and len(outputs) == 1 and outputs[0].get("type") != "tensor":
        predictions["items"] = _column_schema(outputs[0])
    return {"post": {
        "summary": f"Query {served}",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _request_schema(inputs)}}},
        "responses": {"200": {"description": "Predictions", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"predictions": predictions}}}}}},
    }}


def open_api_json(
    endpoint: str, signatures: list[tuple[str, list[dict[str, Any]] | None, list[dict[str, Any]] | None]]
) -> dict[str, Any]:
    """signatures: (served entity name, signature inputs, signature outputs) per served entity."""
    paths: dict[str, Any] = {}
    if signatures:
        served, inputs, outputs = signatures[0]
        paths[f"/serving-endpoints/{endpoint}/invocations"] = _operation(endpoint, inputs, outputs)
    for served, inputs, outputs in signatures:
        paths[f"/serving-endpoints/{endpoint}/served-models/{served}/invocations"] = _operation(served, inputs, outputs)
    return {
        "openapi": "3.1.0",
        "info": {"title": endpoint, "version": "2"},
        "servers": [{"url": "/"}],
        "paths": paths,
    }
