"""MLflow REST handlers for traces: the v2 API (/api/2.0/mlflow/traces...), the v3 API (/api/3.0/mlflow/traces...)
and the routes both versions serve (tags, delete, link to run)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.traces.schemas.requests import (
    BatchGet,
    DeleteTraces,
    DeleteTraceTag,
    EndTraceV2,
    FilterCorrelation,
    GetTrace,
    LinkPromptsToTrace,
    LinkTracesToRun,
    SearchTracesV2,
    SearchTracesV3,
    SetTraceTag,
    StartTraceV2,
    StartTraceV3,
    TraceRef,
)
from regista.server.traces.services import correlation, trace_data
from regista.server.traces.services import traces as service

# Served under /api/2.0/mlflow and /ajax-api/2.0/mlflow.
v2_router = APIRouter(route_class=TransactionalRoute)
# Served under /api/3.0/mlflow and /ajax-api/3.0/mlflow.
v3_router = APIRouter(route_class=TransactionalRoute)
# Served under both versions' prefixes.
common_router = APIRouter(route_class=TransactionalRoute)


def _flag(value: bool | str | None) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


# ---------------------------------------------------------------------------------------------------- v2


@v2_router.post("/traces")
def start_trace_v2(ctx: WriteCtx, req: Annotated[StartTraceV2, Depends(message(StartTraceV2))]) -> Response:
    return ok(service.start_trace_v2(ctx, req))


@v2_router.get("/traces")
def search_traces_v2(ctx: ReadCtx, req: Annotated[SearchTracesV2, Depends(message(SearchTracesV2))]) -> Response:
    return ok(service.search_v2(ctx, req.experiment_ids, req.filter, req.max_results, req.order_by, req.page_token))


@v2_router.patch("/traces/{request_id}")
def end_trace_v2(ctx: WriteCtx, request_id: str, req: Annotated[EndTraceV2, Depends(message(EndTraceV2))]) -> Response:
    return ok(service.end_trace_v2(ctx, request_id, req))


@v2_router.get("/traces/{request_id}/info")
def get_trace_info_v2(ctx: ReadCtx, request_id: str) -> Response:
    return ok(service.get_trace_info_v2(ctx, request_id))


@v2_router.get("/get-trace-artifact")
def get_trace_artifact(ctx: ReadCtx, req: Annotated[TraceRef, Depends(message(TraceRef))]) -> Response:
    """The trace's traces.json, as a download (the MLflow UI's trace view reads it)."""
    data = trace_data.trace_data_bytes(ctx, req.id)
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": "attachment; filename=traces.json"})


# ---------------------------------------------------------------------------------------------------- v3


@v3_router.post("/traces")
def start_trace_v3(ctx: WriteCtx, req: Annotated[StartTraceV3, Depends(message(StartTraceV3))]) -> Response:
    return ok(service.start_trace_v3(ctx, req.trace))


@v3_router.post("/traces/search")
def search_traces_v3(ctx: ReadCtx, req: Annotated[SearchTracesV3, Depends(message(SearchTracesV3))]) -> Response:
    return ok(service.search_v3(ctx, req.locations, req.filter, req.max_results, req.order_by, req.page_token))


@v3_router.get("/traces/get")
def get_trace(ctx: ReadCtx, req: Annotated[GetTrace, Depends(message(GetTrace))]) -> Response:
    return ok(trace_data.get_trace(ctx, req.id, _flag(req.allow_partial)))


@v3_router.get("/traces/batchGet")
def batch_get_traces(ctx: ReadCtx, req: Annotated[BatchGet, Depends(message(BatchGet))]) -> Response:
    return ok(trace_data.batch_get_traces(ctx, req.trace_ids, req.experiment_ids))


@v3_router.post("/traces/batchGetInfos")
def batch_get_trace_infos(ctx: ReadCtx, req: Annotated[BatchGet, Depends(message(BatchGet))]) -> Response:
    return ok(service.batch_get_trace_infos(ctx, req.trace_ids, req.experiment_ids))


@v3_router.post("/traces/calculate-filter-correlation")
def calculate_filter_correlation(
    ctx: ReadCtx, req: Annotated[FilterCorrelation, Depends(message(FilterCorrelation))]
) -> Response:
    return ok(correlation.calculate(ctx, req.experiment_ids, req.filter_string1, req.filter_string2,
                                    req.base_filter))


@v3_router.get("/traces/{trace_id}")
def get_trace_info_v3(ctx: ReadCtx, trace_id: str) -> Response:
    return ok(service.get_trace_info_v3(ctx, trace_id))


# ------------------------------------------------------------------------------------------------ common


@common_router.patch("/traces/{trace_id}/tags")
def set_trace_tag(ctx: WriteCtx, trace_id: str, req: Annotated[SetTraceTag, Depends(message(SetTraceTag))]) -> Response:
    service.set_tag(ctx, trace_id, req.key, req.value)
    return ok()


@common_router.delete("/traces/{trace_id}/tags")
def delete_trace_tag(
    ctx: WriteCtx, trace_id: str, req: Annotated[DeleteTraceTag, Depends(message(DeleteTraceTag))]
) -> Response:
    service.delete_tag(ctx, trace_id, req.key)
    return ok()


@common_router.post("/traces/delete-traces")
def delete_traces(ctx: WriteCtx, req: Annotated[DeleteTraces, Depends(message(DeleteTraces))]) -> Response:
    return ok(service.delete_traces(ctx, req))


@common_router.post("/traces/link-to-run")
def link_traces_to_run(ctx: WriteCtx, req: Annotated[LinkTracesToRun, Depends(message(LinkTracesToRun))]) -> Response:
    service.link_traces_to_run(ctx, req.trace_ids, req.run_id)
    return ok()


@common_router.post("/traces/link-prompts")
def link_prompts_to_trace(
    ctx: WriteCtx, req: Annotated[LinkPromptsToTrace, Depends(message(LinkPromptsToTrace))]
) -> Response:
    service.link_prompts_to_trace(ctx, req.trace_id, [(p.name, p.version) for p in req.prompt_versions])
    return ok()
