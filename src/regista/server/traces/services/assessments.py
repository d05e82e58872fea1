"""Assessments of a trace (feedback and expectations): create, read, update, delete, and overrides.

An assessment that overrides another marks it invalid; deleting the override makes it valid again. Reading
needs CAN_READ on the trace's experiment, changes CAN_EDIT.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from regista.errors import InvalidParameter
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.traces.schemas.views import assessment_json
from regista.server.traces.services.traces import permitted_trace
from regista.server.traces.stores import assessments as store

SOURCE_TYPES = ("SOURCE_TYPE_UNSPECIFIED", "HUMAN", "LLM_JUDGE", "CODE")
MAX_NAME_LENGTH = 250
MAX_ID_LENGTH = 64
# What a FieldMask may name (camelCase as the client sends it, or snake_case), and the fields it updates.
_MASK_FIELDS = {"assessmentName": "assessment_name", "assessment_name": "assessment_name",
                "feedback": "feedback", "expectation": "expectation", "rationale": "rationale",
                "metadata": "metadata", "valid": "valid", "spanId": "span_id", "span_id": "span_id"}


def _text(body: dict[str, Any], field: str, limit: int | None = None) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"Invalid value for parameter 'assessment.{field}': expected a string.")
    if limit is not None and len(value) > limit:
        raise InvalidParameter(f"'assessment.{field}' exceeds the maximum length of {limit} characters")
    return value


def _metadata(body: dict[str, Any]) -> str | None:
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidParameter("Invalid value for parameter 'assessment.metadata': expected a map of strings.")
    return orjson.dumps(value).decode() if value else None


def _kind_and_value(body: dict[str, Any]) -> tuple[str, str]:
    kinds = [k for k in ("feedback", "expectation") if body.get(k) is not None]
    if len(kinds) != 1:
        raise InvalidParameter("An assessment has exactly one of 'feedback' and 'expectation'.")
    return kinds[0], _kind_body(kinds[0], body[kinds[0]])


def _kind_body(kind: str, value: Any) -> str:
    """The Feedback or Expectation message as stored. An expectation whose value is a list or a map is kept
    as MLflow keeps it: JSON text in serialized_value (google.protobuf.Value cannot say which it was)."""
    if not isinstance(value, dict):
        raise InvalidParameter(f"Invalid value for parameter 'assessment.{kind}': expected an object.")
    if kind == "expectation" and isinstance(value.get("value"), (dict, list)):
        value = {"serialized_value": {"serialization_format": "JSON_FORMAT",
                                      "value": orjson.dumps(value["value"]).decode()}}
    return orjson.dumps(value).decode()


def _source(body: dict[str, Any]) -> tuple[str, str | None]:
    source = body.get("source") or {}
    if not isinstance(source, dict):
        raise InvalidParameter("Invalid value for parameter 'assessment.source': expected an object.")
    source_type = source.get("source_type") or "SOURCE_TYPE_UNSPECIFIED"
    if source_type not in SOURCE_TYPES:
        raise InvalidParameter(f"Invalid value {source_type!r} for parameter 'assessment.source.source_type' "
                               f"supplied: expected one of {list(SOURCE_TYPES)}.")
    source_id = source.get("source_id")
    if source_id is not None and (not isinstance(source_id, str) or len(source_id) > MAX_NAME_LENGTH):
        raise InvalidParameter("Invalid value for parameter 'assessment.source.source_id'.")
    return source_type, source_id


def _error(body: dict[str, Any]) -> str | None:
    error = body.get("error")
    if error is None:
        return None
    if not isinstance(error, dict):
        raise InvalidParameter("Invalid value for parameter 'assessment.error': expected an object.")
    return orjson.dumps(error).decode()


def create(ctx: Context, trace_id: str | None, body: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameter("Missing value for required parameter 'assessment'.")
    claimed = body.get("trace_id")
    if claimed and claimed != trace_id:
        raise InvalidParameter("The assessment's trace_id does not match the trace in the path.")
    trace = permitted_trace(ctx, trace_id, CAN_EDIT)
    name = _text(body, "assessment_name", MAX_NAME_LENGTH)
    if name is None:
        raise InvalidParameter("Missing value for required parameter 'assessment.assessment_name'.")
    kind, value = _kind_and_value(body)
    source_type, source_id = _source(body)
    overrides = _text(body, "overrides", MAX_ID_LENGTH)
    if overrides is not None:
        store.get(ctx.conn, trace.trace_id, overrides)  # 404 when it names nothing on this trace
        store.set_valid(ctx.conn, trace.trace_id, overrides, False)
    now = now_ms()
    assessment_id = "a-" + uuid.uuid4().hex
    store.insert_one(ctx.conn, {
        "assessment_id": assessment_id, "trace_id": trace.trace_id, "name": name, "kind": kind, "value": value,
        "error": _error(body), "source_type": source_type, "source_id": source_id,
        "span_id": _text(body, "span_id", MAX_ID_LENGTH), "rationale": _text(body, "rationale"),
        "overrides": overrides, "valid": True, "meta": _metadata(body), "create_time": now,
        "last_update_time": now,
    })
    return {"assessment": assessment_json(store.get(ctx.conn, trace.trace_id, assessment_id))}


def get(ctx: Context, trace_id: str | None, assessment_id: str | None) -> dict[str, Any]:
    trace = permitted_trace(ctx, trace_id, CAN_READ)
    return {"assessment": assessment_json(store.get(ctx.conn, trace.trace_id, _required_id(assessment_id)))}


def _required_id(assessment_id: str | None) -> str:
    if not assessment_id:
        raise InvalidParameter("Missing value for required parameter 'assessment_id'.")
    if len(assessment_id) > MAX_ID_LENGTH:
        raise InvalidParameter(f"Invalid value for parameter 'assessment_id': at most {MAX_ID_LENGTH} characters.")
    return assessment_id


def _mask(update_mask: str | dict[str, Any] | None) -> list[str]:
    if isinstance(update_mask, dict):
        paths = update_mask.get("paths")
        raw = paths if isinstance(paths, list) else []
    else:
        raw = [p.strip() for p in (update_mask or "").split(",") if p.strip()]
    if not raw:
        raise InvalidParameter("Missing value for required parameter 'update_mask'.")
    out = []
    for path in raw:
        if path not in _MASK_FIELDS:
            raise InvalidParameter(f"Invalid update_mask path '{path}': updatable fields are assessment_name, "
                                   "feedback, expectation, rationale, metadata, valid and span_id.")
        out.append(_MASK_FIELDS[path])
    return out


def update(ctx: Context, trace_id: str | None, assessment_id: str | None, body: dict[str, Any] | None,
           update_mask: str | dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameter("Missing value for required parameter 'assessment'.")
    trace = permitted_trace(ctx, trace_id, CAN_EDIT)
    row = store.get(ctx.conn, trace.trace_id, _required_id(assessment_id))
    values: dict[str, Any] = {}
    for field in _mask(update_mask):
        if field == "assessment_name":
            name = _text(body, "assessment_name", MAX_NAME_LENGTH)
            if name is None:
                raise InvalidParameter("'assessment.assessment_name' cannot be empty.")
            values["name"] = name
        elif field in ("feedback", "expectation"):
            if body.get(field) is None:
                raise InvalidParameter(f"Missing value for required parameter 'assessment.{field}'.")
            if field != row.kind:
                raise InvalidParameter(f"Cannot change a {row.kind} assessment into a {field}.")
            values["value"] = _kind_body(field, body[field])
        elif field == "rationale":
            values["rationale"] = _text(body, "rationale")
        elif field == "metadata":
            values["meta"] = _metadata(body)
        elif field == "span_id":
            values["span_id"] = _text(body, "span_id", MAX_ID_LENGTH)
        elif field == "valid":
            if not isinstance(body.get("valid"), bool):
                raise InvalidParameter("Invalid value for parameter 'assessment.valid': expected a boolean.")
            values["valid"] = body["valid"]
    values["last_update_time"] = now_ms()
    store.update_one(ctx.conn, row.assessment_id, values)
    return {"assessment": assessment_json(store.get(ctx.conn, trace.trace_id, row.assessment_id))}


def delete(ctx: Context, trace_id: str | None, assessment_id: str | None) -> None:
    """Delete an assessment; the one it overrode becomes valid again."""
    trace = permitted_trace(ctx, trace_id, CAN_EDIT)
    row = store.get(ctx.conn, trace.trace_id, _required_id(assessment_id))
    if row.overrides:
        store.set_valid(ctx.conn, trace.trace_id, row.overrides, True)
    store.delete_one(ctx.conn, row.assessment_id)
