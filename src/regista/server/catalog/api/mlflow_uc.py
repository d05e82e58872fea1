"""The mlflow client's Unity Catalog registry RPCs (registry URI `databricks-uc`), relative to
/api/2.0/mlflow/unity-catalog: registered models, versions (create → Files API upload → finalize), aliases,
tags, search, download URI, temporary credentials and the Files API switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.errors import InvalidParameter
from regista.server.catalog.schemas.requests import (
    AliasRef,
    CreateModelVersion,
    CreateRegisteredModel,
    DeleteTag,
    DeleteVersionTag,
    ModelName,
    SearchModelVersions,
    SearchRegisteredModels,
    SetAlias,
    SetTag,
    SetVersionTag,
    TemporaryCredentials,
    TransitionStage,
    UpdateModelVersion,
    UpdateRegisteredModel,
    VersionRef,
)
from regista.server.catalog.services import uc_models, uc_search, uc_versions, views
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)


@router.get("/registered-models:is-databricks-sdk-models-artifact-repository-enabled")
def uc_is_databricks_sdk_models_artifact_repository_enabled(ctx: ReadCtx) -> Response:
    # Always: version files travel through this server's Files API (/api/2.0/fs/files/Models/...).
    return ok({"is_databricks_sdk_models_artifact_repository_enabled": True})


@router.post("/registered-models/create")
def uc_create_registered_model(
    ctx: WriteCtx, req: Annotated[CreateRegisteredModel, Depends(message(CreateRegisteredModel))]
) -> Response:
    tags = {t.key: t.value for t in req.tags}
    model = uc_models.create_model(ctx, req.name, req.description, tags)
    return ok({"registered_model": views.mlflow_models(ctx, [model.row])[0]})


@router.get("/registered-models/get")
def uc_get_registered_model(ctx: ReadCtx, req: Annotated[ModelName, Depends(message(ModelName))]) -> Response:
    model = uc_models.readable(ctx, req.name)
    return ok({"registered_model": views.mlflow_models(ctx, [model.row])[0]})


@router.patch("/registered-models/update")
def uc_update_registered_model(
    ctx: WriteCtx, req: Annotated[UpdateRegisteredModel, Depends(message(UpdateRegisteredModel))]
) -> Response:
    model = uc_models.update_model(ctx, req.name, req.description, req.new_name, None)
    return ok({"registered_model": views.mlflow_models(ctx, [model.row])[0]})


@router.delete("/registered-models/delete")
def uc_delete_registered_model(ctx: WriteCtx, req: Annotated[ModelName, Depends(message(ModelName))]) -> Response:
    uc_models.delete_model(ctx, req.name)
    return ok()


@router.get("/registered-models/search")
def uc_search_registered_models(
    ctx: ReadCtx, req: Annotated[SearchRegisteredModels, Depends(message(SearchRegisteredModels))]
) -> Response:
    page = uc_search.search_models(ctx, req.filter, req.order_by, req.max_results, req.page_token)
    return ok(uc_search.mlflow_models_page(ctx, page).body("registered_models"))


@router.post("/registered-models/set-tag")
@router.post("/registered-models/tags")
def uc_set_registered_model_tag(ctx: WriteCtx, req: Annotated[SetTag, Depends(message(SetTag))]) -> Response:
    uc_models.set_tag(ctx, req.name, req.key, req.value)
    return ok()


@router.delete("/registered-models/delete-tag")
@router.delete("/registered-models/tags")
def uc_delete_registered_model_tag(ctx: WriteCtx, req: Annotated[DeleteTag, Depends(message(DeleteTag))]) -> Response:
    uc_models.delete_tag(ctx, req.name, req.key)
    return ok()


@router.post("/registered-models/alias")
def uc_set_registered_model_alias(ctx: WriteCtx, req: Annotated[SetAlias, Depends(message(SetAlias))]) -> Response:
    uc_models.set_alias(ctx, req.name, req.alias, uc_versions.version_number(req.version))
    return ok()


@router.delete("/registered-models/alias")
def uc_delete_registered_model_alias(ctx: WriteCtx, req: Annotated[AliasRef, Depends(message(AliasRef))]) -> Response:
    uc_models.delete_alias(ctx, req.name, req.alias)
    return ok()


@router.get("/registered-models/alias")
def uc_get_model_version_by_alias(ctx: ReadCtx, req: Annotated[AliasRef, Depends(message(AliasRef))]) -> Response:
    model, version = uc_models.version_of_alias(ctx, req.name, req.alias)
    row = uc_versions.version_row(ctx, model, version)
    return ok({"model_version": views.mlflow_versions(ctx, [(model.full_name, row)])[0]})


@router.post("/model-versions/create")
def uc_create_model_version(
    ctx: WriteCtx, req: Annotated[CreateModelVersion, Depends(message(CreateModelVersion))]
) -> Response:
    tags = {t.key: t.value for t in req.tags}
    model, row = uc_versions.create_version(ctx, req.name, req.source, req.run_id, req.description, tags,
                                            req.model_id)
    return ok({"model_version": views.mlflow_versions(ctx, [(model.full_name, row)])[0]})


@router.post("/model-versions/finalize")
def uc_finalize_model_version(ctx: WriteCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]) -> Response:
    model, row = uc_versions.finalize_version(ctx, req.name, req.version)
    return ok({"model_version": views.mlflow_versions(ctx, [(model.full_name, row)])[0]})


@router.get("/model-versions/get")
def uc_get_model_version(ctx: ReadCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]) -> Response:
    model, row = uc_versions.get_version(ctx, req.name, req.version)
    return ok({"model_version": views.mlflow_versions(ctx, [(model.full_name, row)])[0]})


@router.patch("/model-versions/update")
def uc_update_model_version(
    ctx: WriteCtx, req: Annotated[UpdateModelVersion, Depends(message(UpdateModelVersion))]
) -> Response:
    model, row = uc_versions.update_version(ctx, req.name, req.version, req.description)
    return ok({"model_version": views.mlflow_versions(ctx, [(model.full_name, row)])[0]})


@router.delete("/model-versions/delete")
def uc_delete_model_version(ctx: WriteCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]) -> Response:
    uc_versions.delete_version(ctx, req.name, req.version)
    return ok()


@router.get("/model-versions/search")
def uc_search_model_versions(
    ctx: ReadCtx, req: Annotated[SearchModelVersions, Depends(message(SearchModelVersions))]
) -> Response:
    page = uc_search.search_versions(ctx, req.filter, req.max_results, req.page_token)
    return ok(uc_search.mlflow_versions_page(ctx, page).body("model_versions"))


@router.get("/model-versions/get-download-uri")
def uc_get_model_version_download_uri(
    ctx: ReadCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]
) -> Response:
    model, row = uc_versions.ready_version(ctx, req.name, req.version, "getModelVersionDownloadUri")
    return ok({"artifact_uri": views.mlflow_versions(ctx, [(model.full_name, row)])[0]["storage_location"]})


@router.post("/model-versions/generate-temporary-credentials")
def uc_generate_temporary_model_version_credentials(
    ctx: ReadCtx, req: Annotated[TemporaryCredentials, Depends(message(TemporaryCredentials))]
) -> Response:
    expiry = uc_versions.temporary_credentials(ctx, req.name, req.version, req.operation)
    # No cloud credentials exist here: DEFAULT_STORAGE plus the switch above sends clients to the Files API.
    return ok({"credentials": {"storage_mode": "DEFAULT_STORAGE", "expiration_time": expiry}})


@router.post("/model-versions/emit-lineage")
def uc_emit_model_version_lineage(ctx: ReadCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]) -> Response:
    # Downstream lineage (who loaded a version) is not recorded; the caller must still be able to read it.
    uc_versions.get_version(ctx, req.name, req.version)
    return ok()


@router.post("/model-versions/set-tag")
@router.post("/model-versions/tags")
def uc_set_model_version_tag(ctx: WriteCtx, req: Annotated[SetVersionTag, Depends(message(SetVersionTag))]) -> Response:
    uc_versions.set_tag(ctx, req.name, req.version, req.key, req.value)
    return ok()


@router.delete("/model-versions/delete-tag")
@router.delete("/model-versions/tags")
def uc_delete_model_version_tag(
    ctx: WriteCtx, req: Annotated[DeleteVersionTag, Depends(message(DeleteVersionTag))]
) -> Response:
    uc_versions.delete_tag(ctx, req.name, req.version, req.key)
    return ok()


@router.post("/model-versions/transition-stage")
def uc_transition_model_version_stage(
    ctx: ReadCtx, req: Annotated[TransitionStage, Depends(message(TransitionStage))]
) -> Response:
    raise InvalidParameter(
        "Stages are not supported for models in Unity Catalog. Use aliases instead: set one with "
        "set_registered_model_alias(name, alias, version) and load the version as models:/<name>@<alias>."
    )
