"""MLflow REST handlers for runs (/api/2.0/mlflow/runs/...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.tracking.schemas.runs import (
    CreatePromptlabRun,
    CreateRun,
    DeleteTag,
    LogBatch,
    LogInputs,
    LogMetric,
    LogOutputs,
    LogParam,
    RunRef,
    SearchRuns,
    SetTag,
    UpdateRun,
)
from regista.server.tracking.services import metrics as metrics_service
from regista.server.tracking.services import promptlab
from regista.server.tracking.services import run_inputs as inputs_service
from regista.server.tracking.services import run_search as search_service
from regista.server.tracking.services import runs as service

router = APIRouter(route_class=TransactionalRoute)


@router.post("/runs/create")
def create_run(ctx: WriteCtx, req: Annotated[CreateRun, Depends(message(CreateRun))]) -> Response:
    tags: list[tuple[str | None, str | None]] = [(t.key, t.value) for t in req.tags]
    run = service.create_run(ctx, req.experiment_id, req.user_id, req.run_name, req.start_time, tags)
    return ok({"run": run})


@router.post("/runs/create-promptlab-run")
def create_promptlab_run(
    ctx: WriteCtx, req: Annotated[CreatePromptlabRun, Depends(message(CreatePromptlabRun))]
) -> Response:
    return ok({"run": promptlab.create_promptlab_run(ctx, req)})


@router.get("/runs/get")
def get_run(ctx: ReadCtx, req: Annotated[RunRef, Depends(message(RunRef))]) -> Response:
    return ok({"run": service.get_run(ctx, req.id)})


@router.post("/runs/update")
def update_run(ctx: WriteCtx, req: Annotated[UpdateRun, Depends(message(UpdateRun))]) -> Response:
    return ok({"run_info": service.update_run(ctx, req.id, req.status, req.end_time, req.run_name)})


@router.post("/runs/delete")
def delete_run(ctx: WriteCtx, req: Annotated[RunRef, Depends(message(RunRef))]) -> Response:
    service.delete_run(ctx, req.id)
    return ok()


@router.post("/runs/restore")
def restore_run(ctx: WriteCtx, req: Annotated[RunRef, Depends(message(RunRef))]) -> Response:
    service.restore_run(ctx, req.id)
    return ok()


@router.post("/runs/log-metric")
def log_metric(ctx: WriteCtx, req: Annotated[LogMetric, Depends(message(LogMetric))]) -> Response:
    metrics_service.log_metric(ctx, req.id, req)
    return ok()


@router.post("/runs/log-parameter")
def log_param(ctx: WriteCtx, req: Annotated[LogParam, Depends(message(LogParam))]) -> Response:
    service.log_param(ctx, req.id, req.key, req.value)
    return ok()


@router.post("/runs/set-tag")
def set_tag(ctx: WriteCtx, req: Annotated[SetTag, Depends(message(SetTag))]) -> Response:
    service.set_tag(ctx, req.id, req.key, req.value)
    return ok()


@router.post("/runs/delete-tag")
def delete_tag(ctx: WriteCtx, req: Annotated[DeleteTag, Depends(message(DeleteTag))]) -> Response:
    service.delete_tag(ctx, req.id, req.key)
    return ok()


@router.post("/runs/log-batch")
def log_batch(ctx: WriteCtx, req: Annotated[LogBatch, Depends(message(LogBatch))]) -> Response:
    metrics_service.log_batch(ctx, req.id, req.metrics, req.params, req.tags)
    return ok()


@router.post("/runs/log-inputs")
def log_inputs(ctx: WriteCtx, req: Annotated[LogInputs, Depends(message(LogInputs))]) -> Response:
    inputs_service.log_inputs(ctx, req.id, req.datasets, req.models)
    return ok()


@router.post("/runs/outputs")
def log_outputs(ctx: WriteCtx, req: Annotated[LogOutputs, Depends(message(LogOutputs))]) -> Response:
    inputs_service.log_outputs(ctx, req.id, req.models)
    return ok()


@router.post("/runs/search")
@router.get("/runs/search")
def search_runs(ctx: ReadCtx, req: Annotated[SearchRuns, Depends(message(SearchRuns))]) -> Response:
    page = search_service.search_runs(
        ctx, req.experiment_ids, req.filter, req.run_view_type, req.max_results, req.order_by, req.page_token
    )
    return ok({} if page is None else page.body("runs"))
