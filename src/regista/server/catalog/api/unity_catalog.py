"""The /api/2.1/unity-catalog API of the databricks-sdk for catalogs, schemas, registered models, model
versions and aliases (w.catalogs, w.schemas, w.registered_models, w.model_versions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.catalog.schemas.requests import (
    CreateCatalog,
    CreateModelInfo,
    CreateSchema,
    DeleteQuery,
    GetModelInfo,
    ListModels,
    ListQuery,
    ListSchemas,
    ListVersions,
    SetAliasInfo,
    UpdateSecurable,
    UpdateVersionInfo,
)
from regista.server.catalog.schemas.uc_json import alias_json
from regista.server.catalog.services import catalogs, names, uc_models, uc_search, uc_versions, views
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message, query_message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)


# -- catalogs ---------------------------------------------------------------------------------------------

@router.post("/catalogs")
def create_catalog(ctx: WriteCtx, req: Annotated[CreateCatalog, Depends(message(CreateCatalog))]) -> Response:
    return ok(catalogs.create_catalog(ctx, req.name, req.comment))


@router.get("/catalogs")
def list_catalogs(ctx: ReadCtx, req: Annotated[ListQuery, Depends(query_message(ListQuery))]) -> Response:
    return ok(catalogs.list_catalogs(ctx, req.max_results, req.page_token).body("catalogs"))


@router.get("/catalogs/{name}")
def get_catalog(ctx: ReadCtx, name: str) -> Response:
    return ok(catalogs.get_catalog(ctx, name))


@router.patch("/catalogs/{name}")
def update_catalog(
    ctx: WriteCtx, name: str, req: Annotated[UpdateSecurable, Depends(message(UpdateSecurable))]
) -> Response:
    return ok(catalogs.update_catalog(ctx, name, req.new_name, req.comment, req.owner))


@router.delete("/catalogs/{name}")
def delete_catalog(ctx: WriteCtx, name: str, req: Annotated[DeleteQuery, Depends(query_message(DeleteQuery))]) -> Response:
    catalogs.delete_catalog(ctx, name, req.forced)
    return ok()


# -- schemas ----------------------------------------------------------------------------------------------

@router.post("/schemas")
def create_schema(ctx: WriteCtx, req: Annotated[CreateSchema, Depends(message(CreateSchema))]) -> Response:
    return ok(catalogs.create_schema(ctx, req.catalog_name, req.name, req.comment))


@router.get("/schemas")
def list_schemas(ctx: ReadCtx, req: Annotated[ListSchemas, Depends(query_message(ListSchemas))]) -> Response:
    return ok(catalogs.list_schemas(ctx, req.catalog_name, req.max_results, req.page_token).body("schemas"))


@router.get("/schemas/{full_name}")
def get_schema(ctx: ReadCtx, full_name: str) -> Response:
    return ok(catalogs.get_schema(ctx, full_name))


@router.patch("/schemas/{full_name}")
def update_schema(
    ctx: WriteCtx, full_name: str, req: Annotated[UpdateSecurable, Depends(message(UpdateSecurable))]
) -> Response:
    return ok(catalogs.update_schema(ctx, full_name, req.new_name, req.comment, req.owner))


@router.delete("/schemas/{full_name}")
def delete_schema(
    ctx: WriteCtx, full_name: str, req: Annotated[DeleteQuery, Depends(query_message(DeleteQuery))]
) -> Response:
    catalogs.delete_schema(ctx, full_name, req.forced)
    return ok()


# -- registered models ------------------------------------------------------------------------------------

@router.post("/models")
def create_model_info(ctx: WriteCtx, req: Annotated[CreateModelInfo, Depends(message(CreateModelInfo))]) -> Response:
    model = uc_models.create_model(ctx, names.join(req.catalog_name, req.schema_name, req.name), req.comment, {})
    return ok(views.model_infos(ctx, [model.row], include_aliases=False)[0])


@router.get("/models")
def list_model_infos(ctx: ReadCtx, req: Annotated[ListModels, Depends(query_message(ListModels))]) -> Response:
    where = None
    if req.catalog_name or req.schema_name:
        where = uc_search.in_schema(names.part(req.catalog_name, "catalog"), names.part(req.schema_name, "schema"))
    page = uc_search.search_models(ctx, None, None, req.max_results, req.page_token, where)
    return ok(page.map(lambda rows: views.model_infos(ctx, rows, include_aliases=False)).body("registered_models"))


@router.get("/models/{full_name}")
def get_model_info(
    ctx: ReadCtx, full_name: str, req: Annotated[GetModelInfo, Depends(query_message(GetModelInfo))]
) -> Response:
    model = uc_models.readable(ctx, full_name)
    return ok(views.model_infos(ctx, [model.row], include_aliases=req.aliases)[0])


@router.patch("/models/{full_name}")
def update_model_info(
    ctx: WriteCtx, full_name: str, req: Annotated[UpdateSecurable, Depends(message(UpdateSecurable))]
) -> Response:
    model = uc_models.update_model(ctx, full_name, req.comment, req.new_name, req.owner)
    return ok(views.model_infos(ctx, [model.row], include_aliases=True)[0])


@router.delete("/models/{full_name}")
def delete_model_info(ctx: WriteCtx, full_name: str) -> Response:
    uc_models.delete_model(ctx, full_name)
    return ok()


@router.put("/models/{full_name}/aliases/{alias}")
def set_model_alias(
    ctx: WriteCtx, full_name: str, alias: str, req: Annotated[SetAliasInfo, Depends(message(SetAliasInfo))]
) -> Response:
    model = uc_models.set_alias(ctx, full_name, alias, req.version_num)
    return ok(alias_json(model.row, alias, req.version_num))


@router.delete("/models/{full_name}/aliases/{alias}")
def delete_model_alias(ctx: WriteCtx, full_name: str, alias: str) -> Response:
    uc_models.delete_alias(ctx, full_name, alias)
    return ok()


@router.get("/models/{full_name}/aliases/{alias}")
def get_version_info_by_alias(ctx: ReadCtx, full_name: str, alias: str) -> Response:
    model, version = uc_models.version_of_alias(ctx, full_name, alias)
    row = uc_versions.version_row(ctx, model, version)
    return ok(views.version_infos(ctx, model.row, [row], include_aliases=True)[0])


# -- model versions ---------------------------------------------------------------------------------------

@router.get("/models/{full_name}/versions")
def list_version_infos(
    ctx: ReadCtx, full_name: str, req: Annotated[ListVersions, Depends(query_message(ListVersions))]
) -> Response:
    model = uc_models.readable(ctx, full_name, "listModelVersions")
    page = uc_search.search_versions(ctx, None, req.max_results, req.page_token, uc_search.of_model(model.id))
    return ok(page.map(lambda rows: views.version_infos(ctx, model.row, rows, include_aliases=False))
              .body("model_versions"))


@router.get("/models/{full_name}/versions/{version}")
def get_version_info(ctx: ReadCtx, full_name: str, version: str) -> Response:
    model, row = uc_versions.get_version(ctx, full_name, version)
    return ok(views.version_infos(ctx, model.row, [row], include_aliases=True)[0])


@router.patch("/models/{full_name}/versions/{version}")
def update_version_info(
    ctx: WriteCtx, full_name: str, version: str, req: Annotated[UpdateVersionInfo, Depends(message(UpdateVersionInfo))]
) -> Response:
    model, row = uc_versions.update_version(ctx, full_name, version, req.comment)
    return ok(views.version_infos(ctx, model.row, [row], include_aliases=True)[0])


@router.delete("/models/{full_name}/versions/{version}")
def delete_version_info(ctx: WriteCtx, full_name: str, version: str) -> Response:
    uc_versions.delete_version(ctx, full_name, version)
    return ok()
