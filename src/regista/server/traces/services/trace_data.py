"""A trace's spans: read from its traces.json in the artifact store (uploaded by the client), or else from
the spans received over OTLP; and the OTLP ingestion itself (/v1/traces)."""

from __future__ import annotations

from typing import Any

import orjson

from regista.errors import InvalidParameter, NotFound
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_READ
from regista.server.storage.uris import store_path
from regista.server.traces.schemas.otlp import decode_export_request
from regista.server.traces.schemas.spans import otel_span_json
from regista.server.traces.services.traces import (
    ARTIFACT_LOCATION_TAG,
    infos_v3,
    permitted_trace,
    readable_traces,
)
from regista.server.traces.stores import traces as store
from regista.server.tracking.services.experiments import active_experiment_location
from regista.server.tracking.services.tracking_validation import parse_experiment_id

TRACE_DATA_FILE = "traces.json"
# One OTLP request holds at most this many spans (the mlflow client sends one trace's spans at a time).
MAX_SPANS_PER_REQUEST = 10_000


def _artifact_file(ctx: Context, trace_id: str) -> str | None:
    """The store-relative path of the trace's traces.json, when its artifact location is in this store."""
    location = store.entries_for(ctx.conn, "tags", [trace_id])[trace_id].get(ARTIFACT_LOCATION_TAG)
    if not location:
        return None
    try:
        rel = store_path(location)
    except InvalidParameter:
        return None
    return None if rel is None else f"{rel.rstrip('/')}/{TRACE_DATA_FILE}"


def trace_data_bytes(ctx: Context, trace_id: str | None) -> bytes:
    """The trace's traces.json as stored ({"spans": [...]}), or one built from its OTLP spans; 404 if none."""
    row = permitted_trace(ctx, trace_id, CAN_READ)
    rel = _artifact_file(ctx, row.trace_id)
    if rel is not None and ctx.artifacts.is_file(rel):
        return b"".join(ctx.artifacts.iter_file(rel))
    contents = store.spans_of(ctx.conn, row.trace_id)
    if not contents:
        raise NotFound(f"Trace data for trace with ID {row.trace_id} was not found: its spans have not been "
                       "uploaded yet.")
    return b'{"spans": [' + b", ".join(c.encode() for c in contents) + b"]}"


def _spans(ctx: Context, trace_id: str) -> list[dict[str, Any]]:
    try:
        data = orjson.loads(trace_data_bytes(ctx, trace_id))
    except NotFound:
        return []
    except orjson.JSONDecodeError:
        raise InvalidParameter(f"The span data of trace {trace_id} is corrupted (not JSON).") from None
    spans = data.get("spans") if isinstance(data, dict) else None
    return [otel_span_json(s) for s in spans if isinstance(s, dict)] if isinstance(spans, list) else []


def get_trace(ctx: Context, trace_id: str | None, allow_partial: bool) -> dict[str, Any]:
    """The Trace (info and OpenTelemetry spans). Without allow_partial, a trace whose spans have not arrived
    yet is a 404, as MLflow answers until the export completes."""
    row = permitted_trace(ctx, trace_id, CAN_READ)
    spans = _spans(ctx, row.trace_id)
    if not spans and not allow_partial:
        raise NotFound(f"Trace with ID {row.trace_id} is not fully exported yet, please try again later.")
    return {"trace": {"trace_info": infos_v3(ctx, [row])[0], "spans": spans}}


def batch_get_traces(ctx: Context, trace_ids: list[str], experiment_ids: list[str]) -> dict[str, Any]:
    rows = readable_traces(ctx, trace_ids, experiment_ids)
    infos = infos_v3(ctx, rows)
    return {"traces": [{"trace_info": info, "spans": _spans(ctx, row.trace_id)} for row, info in zip(rows, infos, strict=True)]}


def log_spans(ctx: Context, experiment_id: str | None, body: bytes) -> None:
    """Store the spans of an OTLP export request in the experiment the x-mlflow-experiment-id header names
    (CAN_EDIT on it). A span already stored for a trace of another experiment is refused."""
    if not experiment_id:
        raise InvalidParameter("Missing the 'x-mlflow-experiment-id' header naming the experiment to log spans to.")
    experiment = parse_experiment_id(experiment_id, "x-mlflow-experiment-id")
    active_experiment_location(ctx, experiment)
    spans = decode_export_request(body)
    if len(spans) > MAX_SPANS_PER_REQUEST:
        raise InvalidParameter(f"Too many spans: at most {MAX_SPANS_PER_REQUEST} per request.")
    trace_ids = sorted({t for t, _, _ in spans})
    # A trace's spans stay in one experiment: spans sent for it under another are refused, so nobody can
    # overwrite spans of an experiment they may not edit.
    if store.span_experiments(ctx.conn, trace_ids) - {experiment}:
        raise InvalidParameter("Spans of these traces are already stored in another experiment.")
    for trace_id in trace_ids:
        existing = store.find_trace(ctx.conn, trace_id)
        if existing is not None and existing.experiment_id != experiment:
            raise InvalidParameter(f"Trace with ID {trace_id} belongs to another experiment.")
        if existing is not None:
            authz.require_experiment_level(ctx, existing.experiment_id, "CAN_EDIT", str(existing.experiment_id))
    store.put_spans(ctx.conn, experiment, [
        (trace_id, span_id, span["name"], int(span["start_time_unix_nano"] or 0), orjson.dumps(span).decode())
        for trace_id, span_id, span in spans
    ])
