"""MLflow REST handlers for registered models (/registered-models/...), including aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.registry.schemas.registered_models import (
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
from regista.server.registry.services import aliases
from regista.server.registry.services import registered_models as service

router = APIRouter(route_class=TransactionalRoute)


@router.post("/registered-models/create")
def create_registered_model(
    ctx: WriteCtx, req: Annotated[CreateRegisteredModel, Depends(message(CreateRegisteredModel))]
) -> Response:
    tags = {t.key: t.value for t in req.tags}
    return ok({"registered_model": service.create_registered_model(ctx, req.name, tags, req.description)})


@router.get("/registered-models/get")
def get_registered_model(
    ctx: ReadCtx, req: Annotated[GetRegisteredModel, Depends(message(GetRegisteredModel))]
) -> Response:
    return ok({"registered_model": service.get_registered_model(ctx, req.name)})


@router.post("/registered-models/rename")
def rename_registered_model(
    ctx: WriteCtx, req: Annotated[RenameRegisteredModel, Depends(message(RenameRegisteredModel))]
) -> Response:
    return ok({"registered_model": service.rename_registered_model(ctx, req.name, req.new_name)})


@router.patch("/registered-models/update")
def update_registered_model(
    ctx: WriteCtx, req: Annotated[UpdateRegisteredModel, Depends(message(UpdateRegisteredModel))]
) -> Response:
    return ok({"registered_model": service.update_registered_model(ctx, req.name, req.description)})


@router.delete("/registered-models/delete")
def delete_registered_model(
    ctx: WriteCtx, req: Annotated[DeleteRegisteredModel, Depends(message(DeleteRegisteredModel))]
) -> Response:
    service.delete_registered_model(ctx, req.name)
    return ok()


@router.get("/registered-models/search")
def search_registered_models(
    ctx: ReadCtx, req: Annotated[SearchRegisteredModels, Depends(message(SearchRegisteredModels))]
) -> Response:
    return ok(service.search_registered_models(ctx, req).body("registered_models"))


@router.post("/registered-models/get-latest-versions")
@router.get("/registered-models/get-latest-versions")
def get_latest_versions(
    ctx: ReadCtx, req: Annotated[GetLatestVersions, Depends(message(GetLatestVersions))]
) -> Response:
    return ok({"model_versions": service.get_latest_versions(ctx, req.name, req.stages)})


@router.post("/registered-models/set-tag")
def set_registered_model_tag(
    ctx: WriteCtx, req: Annotated[SetRegisteredModelTag, Depends(message(SetRegisteredModelTag))]
) -> Response:
    service.set_registered_model_tag(ctx, req.name, req.key, req.value)
    return ok()


@router.delete("/registered-models/delete-tag")
def delete_registered_model_tag(
    ctx: WriteCtx, req: Annotated[DeleteRegisteredModelTag, Depends(message(DeleteRegisteredModelTag))]
) -> Response:
    service.delete_registered_model_tag(ctx, req.name, req.key)
    return ok()


@router.post("/registered-models/alias")
def set_registered_model_alias(
    ctx: WriteCtx, req: Annotated[SetRegisteredModelAlias, Depends(message(SetRegisteredModelAlias))]
) -> Response:
    aliases.set_registered_model_alias(ctx, req.name, req.alias, req.version)
    return ok()


@router.delete("/registered-models/alias")
def delete_registered_model_alias(
    ctx: WriteCtx, req: Annotated[DeleteRegisteredModelAlias, Depends(message(DeleteRegisteredModelAlias))]
) -> Response:
    aliases.delete_registered_model_alias(ctx, req.name, req.alias)
    return ok()


@router.get("/registered-models/alias")
def get_model_version_by_alias(
    ctx: ReadCtx, req: Annotated[GetModelVersionByAlias, Depends(message(GetModelVersionByAlias))]
) -> Response:
    return ok({"model_version": aliases.get_model_version_by_alias(ctx, req.name, req.alias)})
