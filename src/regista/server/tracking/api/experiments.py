"""MLflow REST handlers for experiments (/api/2.0/mlflow/experiments/...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.tracking.schemas.experiments import (
    CreateExperiment,
    DeleteExperimentTag,
    ExperimentRef,
    GetExperiment,
    GetExperimentByName,
    SearchDatasets,
    SearchExperiments,
    SetExperimentTag,
    UpdateExperiment,
)
from regista.server.tracking.services import experiments as service
from regista.server.tracking.services import run_inputs

router = APIRouter(route_class=TransactionalRoute)


@router.post("/experiments/create")
def create_experiment(
    ctx: WriteCtx, req: Annotated[CreateExperiment, Depends(message(CreateExperiment))]
) -> Response:
    tags = [(t.key, t.value) for t in req.tags]
    return ok({"experiment_id": service.create_experiment(ctx, req.name, req.artifact_location, tags)})


@router.get("/experiments/get")
def get_experiment(ctx: ReadCtx, req: Annotated[GetExperiment, Depends(message(GetExperiment))]) -> Response:
    return ok({"experiment": service.get_experiment(ctx, req.experiment_id)})


@router.get("/experiments/get-by-name")
def get_experiment_by_name(
    ctx: ReadCtx, req: Annotated[GetExperimentByName, Depends(message(GetExperimentByName))]
) -> Response:
    return ok({"experiment": service.get_experiment_by_name(ctx, req.experiment_name)})


@router.post("/experiments/search")
@router.get("/experiments/search")
def search_experiments(
    ctx: ReadCtx, req: Annotated[SearchExperiments, Depends(message(SearchExperiments))]
) -> Response:
    page = service.search_experiments(ctx, req.filter, req.order_by, req.view_type, req.max_results, req.page_token)
    return ok(page.body("experiments"))


@router.post("/experiments/delete")
def delete_experiment(
    ctx: WriteCtx, req: Annotated[ExperimentRef, Depends(message(ExperimentRef))]
) -> Response:
    service.delete_experiment(ctx, req.experiment_id)
    return ok()


@router.post("/experiments/restore")
def restore_experiment(
    ctx: WriteCtx, req: Annotated[ExperimentRef, Depends(message(ExperimentRef))]
) -> Response:
    service.restore_experiment(ctx, req.experiment_id)
    return ok()


@router.post("/experiments/update")
def update_experiment(
    ctx: WriteCtx, req: Annotated[UpdateExperiment, Depends(message(UpdateExperiment))]
) -> Response:
    service.rename_experiment(ctx, req.experiment_id, req.new_name)
    return ok()


@router.post("/experiments/set-experiment-tag")
def set_experiment_tag(
    ctx: WriteCtx, req: Annotated[SetExperimentTag, Depends(message(SetExperimentTag))]
) -> Response:
    service.set_experiment_tag(ctx, req.experiment_id, req.key, req.value)
    return ok()


@router.post("/experiments/delete-experiment-tag")
def delete_experiment_tag(
    ctx: WriteCtx, req: Annotated[DeleteExperimentTag, Depends(message(DeleteExperimentTag))]
) -> Response:
    service.delete_experiment_tag(ctx, req.experiment_id, req.key)
    return ok()


@router.post("/experiments/search-datasets")
def search_datasets(ctx: ReadCtx, req: Annotated[SearchDatasets, Depends(message(SearchDatasets))]) -> Response:
    return ok({"dataset_summaries": run_inputs.search_datasets(ctx, req.experiment_ids)})
