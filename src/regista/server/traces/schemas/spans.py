"""MLflow's span dictionaries (traces.json) as OpenTelemetry Span messages in protobuf JSON, the form of
Trace.spans in GetTrace / BatchGetTraces responses."""

from __future__ import annotations

from typing import Any

import orjson


def any_value_json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"bool_value": value}
    if isinstance(value, str):
        return {"string_value": value}
    if isinstance(value, int):
        return {"int_value": str(value)}
    if isinstance(value, float):
        return {"double_value": value}
    if isinstance(value, (list, tuple)):
        return {"array_value": {"values": [any_value_json(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlist_value": {"values": [{"key": str(k), "value": any_value_json(v)} for k, v in value.items()]}}
    return {"string_value": str(value)}


def _decoded(raw: Any) -> Any:
    """A span attribute as MLflow stores it (JSON text) decoded; a value that is not JSON stays as it is."""
    if not isinstance(raw, str):
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def _nanos(value: Any) -> str:
    return str(int(value)) if value else "0"


def otel_span_json(span: dict[str, Any]) -> dict[str, Any]:
    attributes = span.get("attributes") or {}
    status = span.get("status") or {}
    return {
        "trace_id": span.get("trace_id") or "",
        "span_id": span.get("span_id") or "",
        "parent_span_id": span.get("parent_span_id") or "",
        "trace_state": "",
        "name": span.get("name") or "",
        "start_time_unix_nano": _nanos(span.get("start_time_unix_nano")),
        "end_time_unix_nano": _nanos(span.get("end_time_unix_nano")),
        "attributes": [{"key": k, "value": any_value_json(_decoded(v))} for k, v in attributes.items()],
        "events": [
            {
                "time_unix_nano": _nanos(event.get("time_unix_nano")),
                "name": event.get("name") or "",
                "attributes": [{"key": k, "value": any_value_json(v)}
                               for k, v in (event.get("attributes") or {}).items()],
            }
            for event in span.get("events") or []
        ],
        "status": {"code": status.get("code") or "STATUS_CODE_UNSET", "message": status.get("message") or ""},
    }
