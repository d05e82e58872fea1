"""MLflow REST handlers for model versions (/model-versions/...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.registry.schemas.model_versions import (
    CreateModelVersion,
    DeleteModelVersionTag,
    ModelVersionRef,
    SearchModelVersions,
    SetModelVersionTag,
    TransitionModelVersionStage,
    UpdateModelVersion,
)
from regista.server.registry.services import model_versions as service
from regista.server.registry.services import stages

router = APIRouter(route_class=TransactionalRoute)


@router.post("/model-versions/create")
def create_model_version(
    ctx: WriteCtx, req: Annotated[CreateModelVersion, Depends(message(CreateModelVersion))]
) -> Response:
    return ok({"model_version": service.create_model_version(ctx, req)})


@router.get("/model-versions/get")
def get_model_version(
    ctx: ReadCtx, req: Annotated[ModelVersionRef, Depends(message(ModelVersionRef))]
) -> Response:
    return ok({"model_version": service.get_model_version(ctx, req.name, req.version)})


@router.patch("/model-versions/update")
def update_model_version(
    ctx: WriteCtx, req: Annotated[UpdateModelVersion, Depends(message(UpdateModelVersion))]
) -> Response:
    return ok(
        {"model_version": service.update_model_version(ctx, req.name, req.version, req.description)}
    )


@router.post("/model-versions/transition-stage")
def transition_model_version_stage(
    ctx: WriteCtx, req: Annotated[TransitionModelVersionStage, Depends(message(TransitionModelVersionStage))]
) -> Response:
    view = stages.transition_model_version_stage(
        ctx, req.name, req.version, req.stage, req.archive_existing_versions
    )
    return ok({"model_version": view})


@router.delete("/model-versions/delete")
def delete_model_version(
    ctx: WriteCtx, req: Annotated[ModelVersionRef, Depends(message(ModelVersionRef))]
) -> Response:
    service.delete_model_version(ctx, req.name, req.version)
    return ok()


@router.get("/model-versions/search")
def search_model_versions(
    ctx: ReadCtx, req: Annotated[SearchModelVersions, Depends(message(SearchModelVersions))]
) -> Response:
    return ok(service.search_model_versions(ctx, req).body("model_versions"))


@router.get("/model-versions/get-download-uri")
def get_model_version_download_uri(
    ctx: ReadCtx, req: Annotated[ModelVersionRef, Depends(message(ModelVersionRef))]
) -> Response:
    return ok({"artifact_uri": service.get_model_version_download_uri(ctx, req.name, req.version)})


@router.post("/model-versions/set-tag")
def set_model_version_tag(
    ctx: WriteCtx, req: Annotated[SetModelVersionTag, Depends(message(SetModelVersionTag))]
) -> Response:
    service.set_model_version_tag(ctx, req.name, req.version, req.key, req.value)
    return ok()


@router.delete("/model-versions/delete-tag")
def delete_model_version_tag(
    ctx: WriteCtx, req: Annotated[DeleteModelVersionTag, Depends(message(DeleteModelVersionTag))]
) -> Response:
    service.delete_model_version_tag(ctx, req.name, req.version, req.key)
    return ok()
