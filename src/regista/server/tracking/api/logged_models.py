"""MLflow REST handlers for MLflow 3 logged models (/api/2.0/mlflow/logged-models...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.artifacts.schemas.listings import files_json
from regista.server.artifacts.services import artifacts as artifact_service
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.tracking.schemas.logged_models import (
    CreateLoggedModel,
    FinalizeLoggedModel,
    GetLoggedModel,
    ListLoggedModelArtifacts,
    LogLoggedModelParams,
    SearchLoggedModels,
    SetLoggedModelTags,
)
from regista.server.tracking.services import logged_models as service

router = APIRouter(route_class=TransactionalRoute)


@router.post("/logged-models")
def create_logged_model(
    ctx: WriteCtx, req: Annotated[CreateLoggedModel, Depends(message(CreateLoggedModel))]
) -> Response:
    model = service.create_logged_model(
        ctx, req.experiment_id, req.name, req.model_type, req.source_run_id, req.params, req.tags
    )
    return ok({"model": model})


@router.post("/logged-models/search")
def search_logged_models(
    ctx: ReadCtx, req: Annotated[SearchLoggedModels, Depends(message(SearchLoggedModels))]
) -> Response:
    page = service.search_logged_models(
        ctx, req.experiment_ids, req.filter, req.datasets, req.max_results, req.order_by, req.page_token
    )
    return ok(page.body("models"))


@router.get("/logged-models/{model_id}")
def get_logged_model(
    model_id: str, ctx: ReadCtx, req: Annotated[GetLoggedModel, Depends(message(GetLoggedModel))]
) -> Response:
    return ok({"model": service.get_logged_model(ctx, model_id, req.allow_deleted)})


@router.patch("/logged-models/{model_id}")
def finalize_logged_model(
    model_id: str, ctx: WriteCtx, req: Annotated[FinalizeLoggedModel, Depends(message(FinalizeLoggedModel))]
) -> Response:
    return ok({"model": service.finalize_logged_model(ctx, model_id, req.status)})


@router.delete("/logged-models/{model_id}")
def delete_logged_model(model_id: str, ctx: WriteCtx) -> Response:
    service.delete_logged_model(ctx, model_id)
    return ok()


@router.patch("/logged-models/{model_id}/tags")
def set_logged_model_tags(
    model_id: str, ctx: WriteCtx, req: Annotated[SetLoggedModelTags, Depends(message(SetLoggedModelTags))]
) -> Response:
    service.set_logged_model_tags(ctx, model_id, req.tags)
    return ok()


@router.delete("/logged-models/{model_id}/tags/{key:path}")
def delete_logged_model_tag(model_id: str, key: str, ctx: WriteCtx) -> Response:
    service.delete_logged_model_tag(ctx, model_id, key)
    return ok()


@router.post("/logged-models/{model_id}/params")
def log_logged_model_params(
    model_id: str, ctx: WriteCtx, req: Annotated[LogLoggedModelParams, Depends(message(LogLoggedModelParams))]
) -> Response:
    service.log_logged_model_params(ctx, model_id, req.params)
    return ok()


@router.get("/logged-models/{model_id}/artifacts/directories")
def list_logged_model_artifacts(
    model_id: str, ctx: ReadCtx, req: Annotated[ListLoggedModelArtifacts, Depends(message(ListLoggedModelArtifacts))]
) -> Response:
    root_uri, entries = artifact_service.list_logged_model_artifacts(ctx, model_id, req.artifact_directory_path)
    body: dict[str, object] = {"root_uri": root_uri}
    if entries:
        body["files"] = files_json(entries)
    return ok(body)
