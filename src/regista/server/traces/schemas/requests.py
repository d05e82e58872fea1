"""Request bodies of the MLflow trace and assessment APIs (v2 /api/2.0/mlflow/traces, v3 /api/3.0/...)."""

from __future__ import annotations

from typing import Any

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32, Int64


class StartTraceV2(Message):
    experiment_id: str | None = None
    timestamp_ms: Int64 | None = None
    request_metadata: list[KeyValue] = []
    tags: list[KeyValue] = []


class EndTraceV2(Message):
    timestamp_ms: Int64 | None = None
    status: str | Int32 | None = None
    request_metadata: list[KeyValue] = []
    tags: list[KeyValue] = []


class StartTraceV3(Message):
    # The Trace message as JSON ({"trace_info": {...}, "spans": [...]}); its fields are checked one by
    # one by services/trace_info.py, which knows the protobuf JSON forms of timestamps and durations.
    trace: dict[str, Any] | None = None


class TraceRef(Message):
    trace_id: str | None = None
    request_id: str | None = None

    @property
    def id(self) -> str | None:
        return self.trace_id or self.request_id


class GetTrace(TraceRef):
    allow_partial: bool | str | None = None


class BatchGet(Message):
    trace_ids: list[str] = []
    experiment_ids: list[str] = []


class SearchTracesV2(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    max_results: Int32 | None = None
    order_by: list[str] = []
    page_token: str | None = None


class SearchTracesV3(Message):
    locations: list[dict[str, Any]] = []
    filter: str | None = None
    max_results: Int32 | None = None
    order_by: list[str] = []
    page_token: str | None = None


class SetTraceTag(Message):
    key: str | None = None
    value: str | None = None


class DeleteTraceTag(Message):
    key: str | None = None


class DeleteTraces(Message):
    experiment_id: str | None = None
    max_timestamp_millis: Int64 | None = None
    max_traces: Int32 | None = None
    request_ids: list[str] = []


class LinkTracesToRun(Message):
    trace_ids: list[str] = []
    run_id: str | None = None


class FilterCorrelation(Message):
    experiment_ids: list[str] = []
    filter_string1: str | None = None
    filter_string2: str | None = None
    base_filter: str | None = None


class AssessmentBody(Message):
    assessment: dict[str, Any] | None = None
    # A FieldMask travels as one comma-separated string of camelCase paths ("assessmentName,feedback").
    update_mask: str | dict[str, Any] | None = None


class PromptVersionRef(Message):
    name: str | None = None
    version: str | None = None


class LinkPromptsToTrace(Message):
    trace_id: str | None = None
    prompt_versions: list[PromptVersionRef] = []
