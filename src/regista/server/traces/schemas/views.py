"""Response shapes: TraceInfo (v2) and TraceInfoV3, and the Assessment message, as the mlflow client reads them."""

from __future__ import annotations

from typing import Any

import orjson

from regista.server.traces.schemas.wire_time import duration_json, timestamp_json

# TraceInfoV3.State names, and the v2 TraceStatus names for the same states.
STATES = ("STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS")
V2_STATUS = {"STATE_UNSPECIFIED": "TRACE_STATUS_UNSPECIFIED", "OK": "OK", "ERROR": "ERROR",
             "IN_PROGRESS": "IN_PROGRESS"}


def trace_info_v3(row: Any, tags: dict[str, str], metadata: dict[str, str],
                  assessments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "trace_id": row.trace_id,
        "trace_location": {"type": "MLFLOW_EXPERIMENT",
                           "mlflow_experiment": {"experiment_id": str(row.experiment_id)}},
        "request_time": timestamp_json(row.request_time),
        "state": row.state,
        "trace_metadata": metadata,
        "tags": tags,
        "assessments": assessments or [],
    }
    if row.execution_duration is not None:
        out["execution_duration"] = duration_json(row.execution_duration)
    for name in ("client_request_id", "request_preview", "response_preview"):
        value = getattr(row, name)
        if value is not None:
            out[name] = value
    return out


def trace_info_v2(row: Any, tags: dict[str, str], metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "request_id": row.trace_id,
        "experiment_id": str(row.experiment_id),
        "timestamp_ms": row.request_time,
        "execution_time_ms": row.execution_duration or 0,
        "status": V2_STATUS.get(row.state, "TRACE_STATUS_UNSPECIFIED"),
        "request_metadata": [{"key": k, "value": v} for k, v in metadata.items()],
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
    }


def assessment_json(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "assessment_id": row.assessment_id,
        "assessment_name": row.name,
        "trace_id": row.trace_id,
        "source": {"source_type": row.source_type, **({"source_id": row.source_id} if row.source_id else {})},
        "create_time": timestamp_json(row.create_time),
        "last_update_time": timestamp_json(row.last_update_time),
        "valid": bool(row.valid),
        "metadata": orjson.loads(row.meta) if row.meta else {},
    }
    # `value` holds the whole Feedback or Expectation message (its value, error or serialized_value).
    out[row.kind] = orjson.loads(row.value) if row.value else {}
    for name in ("span_id", "rationale", "overrides"):
        value = getattr(row, name)
        if value:
            out[name] = value
    if row.error:
        out["error"] = orjson.loads(row.error)
    return out
