"""Traces: register (v2 start/end, v3 start), read, search, tag, delete and link to runs.

A trace belongs to an experiment and has no permissions of its own: reading it needs CAN_READ on the
experiment, every change CAN_EDIT, exactly as for runs. Its spans are not stored here: the client uploads
them as `traces.json` under the trace's artifact location (the mlflow.artifactLocation tag the server sets),
through the artifact store like any other artifact (see trace_data.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from regista.errors import InvalidParameter, NotFound
from regista.schemas.numbers import INT64_MAX
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.search.page_cursor import Page, paginate
from regista.server.traces.schemas.requests import DeleteTraces, EndTraceV2, StartTraceV2
from regista.server.traces.schemas.views import STATES, assessment_json, trace_info_v2, trace_info_v3
from regista.server.traces.schemas.wire_time import MAX_MS, parse_duration_ms, parse_timestamp_ms
from regista.server.traces.stores import assessments as assessment_store
from regista.server.traces.stores import traces as store
from regista.server.traces.stores.trace_filter import trace_order_by, trace_where
from regista.server.tracking.services import runs as runs_service
from regista.server.tracking.services.experiments import active_experiment_location
from regista.server.tracking.services.tracking_validation import parse_experiment_id
from regista.server.validation import MAX_ENTITY_KEY_LENGTH, validate_length, validate_max_results

ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"
# The prompt versions a trace used, as MLflow records them: a JSON list of {"name", "version"}.
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
MAX_TRACE_ID_LENGTH = 64
SEARCH_DEFAULT_MAX_RESULTS = 100
SEARCH_MAX_RESULTS = 500
MAX_EXPERIMENTS_PER_SEARCH = 100
MAX_IDS_PER_REQUEST = 1000
# MLflow's v2 status numbers (TraceStatus) beside their names.
_V2_STATUSES = {"0": "STATE_UNSPECIFIED", "1": "OK", "2": "ERROR", "3": "IN_PROGRESS",
                "TRACE_STATUS_UNSPECIFIED": "STATE_UNSPECIFIED", "OK": "OK", "ERROR": "ERROR",
                "IN_PROGRESS": "IN_PROGRESS"}


def require_trace_id(trace_id: str | None, field: str = "trace_id") -> str:
    if not trace_id:
        raise InvalidParameter(f"Missing value for required parameter '{field}'.")
    if len(trace_id) > MAX_TRACE_ID_LENGTH:
        raise InvalidParameter(f"Invalid value for parameter '{field}': a trace id has at most "
                               f"{MAX_TRACE_ID_LENGTH} characters.")
    return trace_id


def permitted_trace(ctx: Context, trace_id: str | None, required: str) -> Any:
    """The trace's row once the caller is known to hold `required` on its experiment (404 first)."""
    row = store.get_trace(ctx.conn, require_trace_id(trace_id))
    authz.require_experiment_level(ctx, row.experiment_id, required, str(row.experiment_id))
    return row


def _entries(pairs: Sequence[tuple[str | None, str | None]], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        if not key:
            raise InvalidParameter(f"Missing value for required parameter '{what}.key'.")
        validate_length(f"{what}.key", MAX_ENTITY_KEY_LENGTH, key)
        if not isinstance(value, str):
            raise InvalidParameter(f"Missing value for required parameter '{what}.value' (key '{key}').")
        out[key] = value
    return out


def _system_tags(location: str, trace_id: str) -> dict[str, str]:
    return {ARTIFACT_LOCATION_TAG: f"{location.rstrip('/')}/traces/{trace_id}/artifacts"}


def _bounded_ms(value: int | None, field: str) -> int:
    if value is None:
        return now_ms()
    if not 0 <= value <= MAX_MS:
        raise InvalidParameter(f"Invalid value {value} for parameter '{field}' supplied: expected milliseconds "
                               f"between 0 and {MAX_MS}.")
    return value


# ------------------------------------------------------------------------------------------- v2 (legacy)


def info_v2(ctx: Context, row: Any) -> dict[str, Any]:
    return infos_v2(ctx, [row])[0]


def infos_v2(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """v2 TraceInfo messages for a page of trace rows, in a fixed number of queries."""
    ids = [row.trace_id for row in rows]
    tags = store.entries_for(ctx.conn, "tags", ids)
    metadata = store.entries_for(ctx.conn, "metadata", ids)
    return [trace_info_v2(row, tags[row.trace_id], metadata[row.trace_id]) for row in rows]


def start_trace_v2(ctx: Context, req: StartTraceV2) -> dict[str, Any]:
    experiment_id = parse_experiment_id(req.experiment_id)
    location = active_experiment_location(ctx, experiment_id, CAN_EDIT)
    trace_id = "tr-" + uuid.uuid4().hex
    tags = _entries([(t.key, t.value) for t in req.tags], "tags")
    metadata = _entries([(m.key, m.value) for m in req.request_metadata], "request_metadata")
    store.insert_trace(ctx.conn, {"trace_id": trace_id, "experiment_id": experiment_id,
                                  "request_time": _bounded_ms(req.timestamp_ms, "timestamp_ms"),
                                  "execution_duration": None, "state": "IN_PROGRESS"})
    store.put_entries(ctx.conn, "tags", trace_id, {**tags, **_system_tags(location, trace_id)})
    store.put_entries(ctx.conn, "metadata", trace_id, metadata)
    return {"trace_info": info_v2(ctx, store.get_trace(ctx.conn, trace_id))}


def end_trace_v2(ctx: Context, trace_id: str | None, req: EndTraceV2) -> dict[str, Any]:
    row = permitted_trace(ctx, trace_id, CAN_EDIT)
    end = _bounded_ms(req.timestamp_ms, "timestamp_ms")
    state = _V2_STATUSES.get(str(req.status if req.status is not None else "OK"))
    if state is None:
        raise InvalidParameter(f"Invalid value {req.status!r} for parameter 'status' supplied: expected one of "
                               "OK, ERROR, IN_PROGRESS.")
    store.update_trace(ctx.conn, row.trace_id, {"execution_duration": max(end - row.request_time, 0),
                                                "state": state})
    store.put_entries(ctx.conn, "tags", row.trace_id, _entries([(t.key, t.value) for t in req.tags], "tags"))
    store.put_entries(ctx.conn, "metadata", row.trace_id,
                      _entries([(m.key, m.value) for m in req.request_metadata], "request_metadata"))
    return {"trace_info": info_v2(ctx, store.get_trace(ctx.conn, row.trace_id))}


def get_trace_info_v2(ctx: Context, trace_id: str | None) -> dict[str, Any]:
    return {"trace_info": info_v2(ctx, permitted_trace(ctx, trace_id, CAN_READ))}


# ------------------------------------------------------------------------------------------------- v3


def infos_v3(ctx: Context, rows: Sequence[Any], with_assessments: bool = True) -> list[dict[str, Any]]:
    """TraceInfoV3 messages for a page of trace rows, in a fixed number of queries."""
    ids = [row.trace_id for row in rows]
    tags = store.entries_for(ctx.conn, "tags", ids)
    metadata = store.entries_for(ctx.conn, "metadata", ids)
    assessments = assessment_store.for_traces(ctx.conn, ids) if with_assessments else {}
    return [trace_info_v3(row, tags[row.trace_id], metadata[row.trace_id],
                          [assessment_json(a) for a in assessments.get(row.trace_id, [])]) for row in rows]


def _experiment_of(info: dict[str, Any]) -> int:
    location = info.get("trace_location")
    experiment = location.get("mlflow_experiment") if isinstance(location, dict) else None
    if not isinstance(experiment, dict):
        raise InvalidParameter("Invalid trace location: this server stores traces in MLflow experiments only "
                               "('trace_info.trace_location.mlflow_experiment.experiment_id').")
    return parse_experiment_id(experiment.get("experiment_id"), "trace_info.trace_location.mlflow_experiment."
                               "experiment_id")


def _string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidParameter(f"Invalid value for parameter '{field}': expected a map of strings to strings.")
    return _entries(list(value.items()), field)


def _optional_text(info: dict[str, Any], field: str) -> str | None:
    value = info.get(field)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"Invalid value for parameter 'trace_info.{field}': expected a string.")
    return value


def start_trace_v3(ctx: Context, trace: dict[str, Any] | None) -> dict[str, Any]:
    """Register a finished (or in-progress) trace from its TraceInfoV3; registering the same trace id again
    (a client retry) updates it. Returns the Trace with the server's tags (its artifact location)."""
    info = trace.get("trace_info") if isinstance(trace, dict) else None
    if not isinstance(info, dict):
        raise InvalidParameter("Missing value for required parameter 'trace.trace_info'.")
    trace_id = require_trace_id(_optional_text(info, "trace_id"), "trace.trace_info.trace_id")
    experiment_id = _experiment_of(info)
    location = active_experiment_location(ctx, experiment_id, CAN_EDIT)
    state = info.get("state") or "STATE_UNSPECIFIED"
    if state not in STATES:
        raise InvalidParameter(f"Invalid value {state!r} for parameter 'trace_info.state' supplied: expected one of "
                               f"{list(STATES)}.")
    request_time = (parse_timestamp_ms(info["request_time"], "trace_info.request_time")
                    if info.get("request_time") is not None else now_ms())
    duration = info.get("execution_duration")
    client_request_id = _optional_text(info, "client_request_id")
    if client_request_id is not None:
        validate_length("trace_info.client_request_id", 250, client_request_id)
    values = {
        "experiment_id": experiment_id,
        "client_request_id": client_request_id,
        "request_time": request_time,
        "execution_duration": None if duration is None else parse_duration_ms(duration, "trace_info.execution_duration"),
        "state": state,
        "request_preview": _optional_text(info, "request_preview"),
        "response_preview": _optional_text(info, "response_preview"),
    }
    tags = _string_map(info.get("tags"), "trace_info.tags")
    metadata = _string_map(info.get("trace_metadata"), "trace_info.trace_metadata")
    existing = store.find_trace(ctx.conn, trace_id)
    if existing is None:
        store.insert_trace(ctx.conn, {"trace_id": trace_id, **values})
    else:
        # Only the trace's own experiment may take it again: an id never moves between experiments.
        if existing.experiment_id != experiment_id:
            raise InvalidParameter(f"Trace with ID {trace_id} already exists in another experiment.")
        store.update_trace(ctx.conn, trace_id, values)
    store.put_entries(ctx.conn, "tags", trace_id, {**tags, **_system_tags(location, trace_id)})
    store.put_entries(ctx.conn, "metadata", trace_id, metadata)
    return {"trace": {"trace_info": infos_v3(ctx, [store.get_trace(ctx.conn, trace_id)])[0]}}


def get_trace_info_v3(ctx: Context, trace_id: str | None) -> dict[str, Any]:
    return {"trace": {"trace_info": infos_v3(ctx, [permitted_trace(ctx, trace_id, CAN_READ)])[0]}}


def readable_traces(ctx: Context, trace_ids: Sequence[str], experiment_ids: Sequence[str]) -> list[Any]:
    """The rows of `trace_ids` the caller may read, in the order asked (missing or unreadable ones left
    out), optionally restricted to `experiment_ids`."""
    if len(trace_ids) > MAX_IDS_PER_REQUEST:
        raise InvalidParameter(f"Too many trace ids: at most {MAX_IDS_PER_REQUEST} per request.")
    scope = {parse_experiment_id(e, "experiment_ids") for e in experiment_ids}
    rows = {row.trace_id: row for row in store.traces_by_ids(ctx.conn, [require_trace_id(t) for t in trace_ids])}
    out = []
    levels: dict[int, bool] = {}
    for trace_id in trace_ids:
        row = rows.get(trace_id)
        if row is None or (scope and row.experiment_id not in scope):
            continue
        if row.experiment_id not in levels:
            level = authz.experiment_level(ctx, row.experiment_id)
            levels[row.experiment_id] = level is not None and authz.EXPERIMENT_LEVEL_RANK[level] >= \
                authz.EXPERIMENT_LEVEL_RANK[CAN_READ]
        if levels[row.experiment_id]:
            out.append(row)
    return out


def batch_get_trace_infos(ctx: Context, trace_ids: Sequence[str], experiment_ids: Sequence[str]) -> dict[str, Any]:
    return {"trace_infos": infos_v3(ctx, readable_traces(ctx, trace_ids, experiment_ids))}


# ---------------------------------------------------------------------------------------------- search


def readable_experiments(ctx: Context, experiment_ids: Sequence[str | int]) -> list[int]:
    if not experiment_ids:
        raise InvalidParameter("Missing value for required parameter 'experiment_ids'.")
    if len(experiment_ids) > MAX_EXPERIMENTS_PER_SEARCH:
        raise InvalidParameter(f"Too many experiments: at most {MAX_EXPERIMENTS_PER_SEARCH} per search.")
    ids = [parse_experiment_id(e, "experiment_ids") for e in experiment_ids]
    for experiment_id in ids:
        authz.require_experiment_level(ctx, experiment_id, CAN_READ, str(experiment_id))
    return ids


def search(ctx: Context, experiment_ids: Sequence[str | int], filter_string: str | None,
           max_results: int | None, order_by: Sequence[str], page_token: str | None) -> Page[Any]:
    ids = readable_experiments(ctx, experiment_ids)
    validate_max_results(max_results, SEARCH_MAX_RESULTS)
    where = trace_where(filter_string)
    terms = trace_order_by(list(order_by))
    limit = max_results or SEARCH_DEFAULT_MAX_RESULTS
    return paginate(page_token, limit, lambda offset, n: store.search(ctx.conn, ids, where, terms, offset, n))


def search_v2(ctx: Context, experiment_ids: Sequence[str], filter_string: str | None, max_results: int | None,
              order_by: Sequence[str], page_token: str | None) -> dict[str, Any]:
    page = search(ctx, experiment_ids, filter_string, max_results, order_by, page_token)
    return page.map(lambda rows: infos_v2(ctx, rows)).body("traces")


def search_v3(ctx: Context, locations: Sequence[dict[str, Any]], filter_string: str | None,
              max_results: int | None, order_by: Sequence[str], page_token: str | None) -> dict[str, Any]:
    experiment_ids: list[str | int] = []
    for location in locations:
        experiment = location.get("mlflow_experiment") if isinstance(location, dict) else None
        if not isinstance(experiment, dict):
            raise InvalidParameter("Invalid trace location: this server searches MLflow experiments only "
                                   "('locations[].mlflow_experiment.experiment_id').")
        experiment_ids.append(experiment.get("experiment_id") or "")
    page = search(ctx, experiment_ids, filter_string, max_results, order_by, page_token)
    return page.map(lambda rows: infos_v3(ctx, rows)).body("traces")


# ------------------------------------------------------------------------------------- tags, delete, link


def set_tag(ctx: Context, trace_id: str | None, key: str | None, value: str | None) -> None:
    row = permitted_trace(ctx, trace_id, CAN_EDIT)
    store.put_entries(ctx.conn, "tags", row.trace_id, _entries([(key, value)], "tags"))


def delete_tag(ctx: Context, trace_id: str | None, key: str | None) -> None:
    row = permitted_trace(ctx, trace_id, CAN_EDIT)
    if not key:
        raise InvalidParameter("Missing value for required parameter 'key'.")
    if store.delete_entry(ctx.conn, "tags", row.trace_id, key) == 0:
        raise NotFound(f"No trace tag with key '{key}' for trace with ID '{row.trace_id}'")


def delete_traces(ctx: Context, req: DeleteTraces) -> dict[str, Any]:
    """Delete the experiment's traces named by id, or its oldest ones up to a time, at most max_traces."""
    experiment_id = parse_experiment_id(req.experiment_id)
    authz.require_experiment_level(ctx, experiment_id, CAN_EDIT, str(experiment_id))
    by_age = req.max_timestamp_millis is not None
    if by_age == bool(req.request_ids):
        raise InvalidParameter("Exactly one of 'max_timestamp_millis' and 'request_ids' must be specified.")
    if req.request_ids and req.max_traces is not None:
        raise InvalidParameter("'max_traces' can't be specified if 'request_ids' is specified.")
    if req.max_traces is not None and req.max_traces <= 0:
        raise InvalidParameter("'max_traces' must be a positive integer.")
    if len(req.request_ids) > MAX_IDS_PER_REQUEST:
        raise InvalidParameter(f"Too many trace ids: at most {MAX_IDS_PER_REQUEST} per request.")
    max_ms = min(req.max_timestamp_millis, INT64_MAX) if req.max_timestamp_millis is not None else None
    ids = store.ids_to_delete(ctx.conn, experiment_id, max_ms, req.max_traces, req.request_ids)
    store.delete_traces(ctx.conn, ids)
    return {"traces_deleted": len(ids)}


def link_traces_to_run(ctx: Context, trace_ids: Sequence[str], run_id: str | None) -> None:
    """Link traces to a run: CAN_EDIT on the run's experiment and on each trace's."""
    run = runs_service.permitted_run(ctx, run_id, CAN_EDIT)
    if not trace_ids:
        return
    if len(trace_ids) > 100:
        raise InvalidParameter("Cannot link more than 100 traces to a run in a single request.")
    for trace_id in trace_ids:
        permitted_trace(ctx, trace_id, CAN_EDIT)
    store.link_to_run(ctx.conn, list(dict.fromkeys(trace_ids)), run.run_uuid)


def link_prompts_to_trace(ctx: Context, trace_id: str | None, prompts: Sequence[tuple[str | None, str | None]]) -> None:
    """Record the prompt versions a trace used in its mlflow.linkedPrompts tag (CAN_EDIT on its experiment)."""
    row = permitted_trace(ctx, trace_id, CAN_EDIT)
    if len(prompts) > 100:
        raise InvalidParameter("Cannot link more than 100 prompt versions to a trace in a single request.")
    refs = []
    for name, version in prompts:
        if not name or not version:
            raise InvalidParameter("Every prompt version needs a 'name' and a 'version'.")
        validate_length("prompt_versions.name", MAX_ENTITY_KEY_LENGTH, name)
        validate_length("prompt_versions.version", 32, version)
        refs.append({"name": name, "version": version})
    current = store.entries_for(ctx.conn, "tags", [row.trace_id])[row.trace_id].get(LINKED_PROMPTS_TAG)
    try:
        linked = orjson.loads(current) if current else []
    except orjson.JSONDecodeError:
        linked = []
    linked = linked if isinstance(linked, list) else []
    linked.extend(ref for ref in refs if ref not in linked)
    store.put_entries(ctx.conn, "tags", row.trace_id, {LINKED_PROMPTS_TAG: orjson.dumps(linked).decode()})
