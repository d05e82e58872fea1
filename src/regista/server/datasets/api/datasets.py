"""MLflow REST handlers for MLflow 3 evaluation datasets (/api/3.0/mlflow/datasets...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.datasets.schemas.messages import (
    CreateDataset,
    DatasetExperiments,
    DeleteDatasetRecords,
    GetDatasetRecords,
    SearchEvaluationDatasets,
    SetDatasetTags,
    UpsertDatasetRecords,
)
from regista.server.datasets.services import datasets as service
from regista.server.datasets.services import records as record_service
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)


@router.post("/datasets/create")
def create_dataset(ctx: WriteCtx, req: Annotated[CreateDataset, Depends(message(CreateDataset))]) -> Response:
    return ok({"dataset": service.create_dataset(ctx, req.name, req.experiment_ids, req.tags)})


def _search(ctx: ReadCtx, req: SearchEvaluationDatasets) -> Response:
    page = service.search_datasets(
        ctx, req.experiment_ids, req.filter_string, req.max_results, req.order_by, req.page_token
    )
    return ok(page.body("datasets"))


@router.post("/datasets/search")
def search_datasets(
    ctx: ReadCtx, req: Annotated[SearchEvaluationDatasets, Depends(message(SearchEvaluationDatasets))]
) -> Response:
    return _search(ctx, req)


@router.get("/datasets/search")
def search_datasets_get(
    ctx: ReadCtx, req: Annotated[SearchEvaluationDatasets, Depends(message(SearchEvaluationDatasets))]
) -> Response:
    return _search(ctx, req)


@router.get("/datasets/{dataset_id}")
def get_dataset(dataset_id: str, ctx: ReadCtx) -> Response:
    return ok({"dataset": service.get_dataset(ctx, dataset_id)})


@router.delete("/datasets/{dataset_id}")
def delete_dataset(dataset_id: str, ctx: WriteCtx) -> Response:
    service.delete_dataset(ctx, dataset_id)
    return ok()


@router.patch("/datasets/{dataset_id}/tags")
def set_dataset_tags(
    dataset_id: str, ctx: WriteCtx, req: Annotated[SetDatasetTags, Depends(message(SetDatasetTags))]
) -> Response:
    service.set_dataset_tags(ctx, dataset_id, req.tags)
    return ok()


@router.delete("/datasets/{dataset_id}/tags/{key:path}")
def delete_dataset_tag(dataset_id: str, key: str, ctx: WriteCtx) -> Response:
    service.delete_dataset_tag(ctx, dataset_id, key)
    return ok()


@router.get("/datasets/{dataset_id}/experiment-ids")
def get_dataset_experiment_ids(dataset_id: str, ctx: ReadCtx) -> Response:
    return ok({"experiment_ids": service.get_experiment_ids(ctx, dataset_id)})


@router.post("/datasets/{dataset_id}/add-experiments")
def add_dataset_to_experiments(
    dataset_id: str, ctx: WriteCtx, req: Annotated[DatasetExperiments, Depends(message(DatasetExperiments))]
) -> Response:
    return ok({"dataset": service.add_to_experiments(ctx, dataset_id, req.experiment_ids)})


@router.post("/datasets/{dataset_id}/remove-experiments")
def remove_dataset_from_experiments(
    dataset_id: str, ctx: WriteCtx, req: Annotated[DatasetExperiments, Depends(message(DatasetExperiments))]
) -> Response:
    return ok({"dataset": service.remove_from_experiments(ctx, dataset_id, req.experiment_ids)})


@router.post("/datasets/{dataset_id}/records")
def upsert_dataset_records(
    dataset_id: str, ctx: WriteCtx, req: Annotated[UpsertDatasetRecords, Depends(message(UpsertDatasetRecords))]
) -> Response:
    inserted, updated = record_service.upsert_records(ctx, dataset_id, req.records)
    return ok({"inserted_count": inserted, "updated_count": updated})


@router.get("/datasets/{dataset_id}/records")
def get_dataset_records(
    dataset_id: str, ctx: ReadCtx, req: Annotated[GetDatasetRecords, Depends(message(GetDatasetRecords))]
) -> Response:
    records, next_token = record_service.get_records(ctx, dataset_id, req.max_results, req.page_token)
    body: dict[str, object] = {"records": records}
    if next_token:
        body["next_page_token"] = next_token
    return ok(body)


@router.delete("/datasets/{dataset_id}/records")
def delete_dataset_records(
    dataset_id: str, ctx: WriteCtx, req: Annotated[DeleteDatasetRecords, Depends(message(DeleteDatasetRecords))]
) -> Response:
    return ok({"deleted_count": record_service.delete_records(ctx, dataset_id, req.dataset_record_ids)})
