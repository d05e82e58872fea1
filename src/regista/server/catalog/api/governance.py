"""Grants (/api/2.1/unity-catalog/permissions and effective-permissions; models use securable type
`function`), lineage of versions both ways, and the audit log (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.catalog.schemas.requests import (
    AuditQuery,
    LineageQuery,
    PermissionsQuery,
    UpdatePermissions,
)
from regista.server.catalog.services import audit, grants, lineage, uc_versions
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message, query_message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)


@router.get("/permissions/{securable_type}/{full_name}")
def get_uc_permissions(
    ctx: ReadCtx, securable_type: str, full_name: str,
    req: Annotated[PermissionsQuery, Depends(query_message(PermissionsQuery))],
) -> Response:
    return ok(grants.get_grants(ctx, securable_type, full_name, req.principal, req.max_results,
                                req.page_token))


@router.patch("/permissions/{securable_type}/{full_name}")
def update_uc_permissions(
    ctx: WriteCtx, securable_type: str, full_name: str,
    req: Annotated[UpdatePermissions, Depends(message(UpdatePermissions))],
) -> Response:
    return ok(grants.update_grants(ctx, securable_type, full_name, req.changes))


@router.get("/effective-permissions/{securable_type}/{full_name}")
def get_uc_effective_permissions(
    ctx: ReadCtx, securable_type: str, full_name: str,
    req: Annotated[PermissionsQuery, Depends(query_message(PermissionsQuery))],
) -> Response:
    return ok(grants.get_effective(ctx, securable_type, full_name, req.principal, req.max_results,
                                   req.page_token))


@router.get("/models/{full_name}/versions/{version}/lineage")
def get_model_version_lineage(ctx: ReadCtx, full_name: str, version: str) -> Response:
    """The tables / datasets the version was trained on."""
    model, row = uc_versions.get_version(ctx, full_name, version)
    return ok({"upstreams": lineage.sources_of_version(ctx, model.id, row.version)})


@router.get("/lineage/model-versions")
def get_table_lineage(ctx: ReadCtx, req: Annotated[LineageQuery, Depends(query_message(LineageQuery))]) -> Response:
    """The versions (the caller may read) trained on a table / dataset."""
    return ok({"model_versions": lineage.versions_trained_on(ctx, req.table_name)})


@router.get("/audit-log")
def search_audit_log(ctx: ReadCtx, req: Annotated[AuditQuery, Depends(query_message(AuditQuery))]) -> Response:
    page = audit.search(ctx, req.principal, req.full_name, req.result, req.action, req.max_results, req.page_token)
    return ok(page.body("entries"))
