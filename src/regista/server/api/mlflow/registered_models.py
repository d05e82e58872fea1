"""MLflow REST handlers for registered models (/registered-models/...), including aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.schemas.mlflow.registered_models import (
    CreateRegisteredModel,
    DeleteRegisteredModel,
    DeleteRegisteredModelAlias,
    DeleteRegisteredModelTag,
    GetLatestVersions,
    GetModelVersionByAlias,
    GetRegisteredModel,
    RenameRegisteredModel,
    SearchRegisteredModels,
    SetRegisteredModelAlias,
    SetRegisteredModelTag,
    UpdateRegisteredModel,
)
from regista.server.api.mlflow.model_versions import in_lock_holder_thread, remove_after_commit
from regista.server.api.parsing import message
from regista.server.api.responses import ok
from regista.server.deps import ReadCtx, WriteCtx
from regista.server.services import aliases
from regista.server.services import registered_models as service

router = APIRouter()


@router.post("/registered-models/create")
async def create_registered_model(
    ctx: WriteCtx, req: Annotated[CreateRegisteredModel, Depends(message(CreateRegisteredModel))]
) -> Response:
    def run() -> Response:
        tags = {t.key: t.value for t in req.tags}
        return ok({"registered_model": service.create_registered_model(ctx, req.name, tags, req.description)})

    return await in_lock_holder_thread(run)


@router.get("/registered-models/get")
def get_registered_model(
    ctx: ReadCtx, req: Annotated[GetRegisteredModel, Depends(message(GetRegisteredModel))]
) -> Response:
    return ok({"registered_model": service.get_registered_model(ctx, req.name)})


@router.post("/registered-models/rename")
async def rename_registered_model(
    ctx: WriteCtx, req: Annotated[RenameRegisteredModel, Depends(message(RenameRegisteredModel))]
) -> Response:
    def run() -> Response:
        return ok({"registered_model": service.rename_registered_model(ctx, req.name, req.new_name)})

    return await in_lock_holder_thread(run)


@router.patch("/registered-models/update")
async def update_registered_model(
    ctx: WriteCtx, req: Annotated[UpdateRegisteredModel, Depends(message(UpdateRegisteredModel))]
) -> Response:
    def run() -> Response:
        return ok({"registered_model": service.update_registered_model(ctx, req.name, req.description)})

    return await in_lock_holder_thread(run)


@router.delete("/registered-models/delete")
async def delete_registered_model(
    ctx: WriteCtx, req: Annotated[DeleteRegisteredModel, Depends(message(DeleteRegisteredModel))]
) -> Response:
    def run() -> Response:
        paths = service.delete_registered_model(ctx, req.name)
        return remove_after_commit(ok(), ctx.artifacts, paths)

    return await in_lock_holder_thread(run)


@router.get("/registered-models/search")
def search_registered_models(
    ctx: ReadCtx, req: Annotated[SearchRegisteredModels, Depends(message(SearchRegisteredModels))]
) -> Response:
    views, token = service.search_registered_models(ctx, req)
    body: dict[str, object] = {"registered_models": views}
    if token:
        body["next_page_token"] = token
    return ok(body)


@router.post("/registered-models/get-latest-versions")
@router.get("/registered-models/get-latest-versions")
def get_latest_versions(
    ctx: ReadCtx, req: Annotated[GetLatestVersions, Depends(message(GetLatestVersions))]
) -> Response:
    return ok({"model_versions": service.get_latest_versions(ctx, req.name, req.stages)})


@router.post("/registered-models/set-tag")
async def set_registered_model_tag(
    ctx: WriteCtx, req: Annotated[SetRegisteredModelTag, Depends(message(SetRegisteredModelTag))]
) -> Response:
    def run() -> Response:
        service.set_registered_model_tag(ctx, req.name, req.key, req.value)
        return ok()

    return await in_lock_holder_thread(run)


@router.delete("/registered-models/delete-tag")
async def delete_registered_model_tag(
    ctx: WriteCtx, req: Annotated[DeleteRegisteredModelTag, Depends(message(DeleteRegisteredModelTag))]
) -> Response:
    def run() -> Response:
        service.delete_registered_model_tag(ctx, req.name, req.key)
        return ok()

    return await in_lock_holder_thread(run)


@router.post("/registered-models/alias")
async def set_registered_model_alias(
    ctx: WriteCtx, req: Annotated[SetRegisteredModelAlias, Depends(message(SetRegisteredModelAlias))]
) -> Response:
    def run() -> Response:
        aliases.set_registered_model_alias(ctx, req.name, req.alias, req.version)
        return ok()

    return await in_lock_holder_thread(run)


@router.delete("/registered-models/alias")
async def delete_registered_model_alias(
    ctx: WriteCtx, req: Annotated[DeleteRegisteredModelAlias, Depends(message(DeleteRegisteredModelAlias))]
) -> Response:
    def run() -> Response:
        aliases.delete_registered_model_alias(ctx, req.name, req.alias)
        return ok()

    return await in_lock_holder_thread(run)


@router.get("/registered-models/alias")
def get_model_version_by_alias(
    ctx: ReadCtx, req: Annotated[GetModelVersionByAlias, Depends(message(GetModelVersionByAlias))]
) -> Response:
    return ok({"model_version": aliases.get_model_version_by_alias(ctx, req.name, req.alias)})
