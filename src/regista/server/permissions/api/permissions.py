"""Databricks REST handlers: object permissions
(/api/2.0/permissions/{registered-models,experiments,serving-endpoints}/...).

The databricks-sdk reaches these through `w.model_registry.*_permission*(registered_model_id=...)`,
`w.experiments.*_permission*(experiment_id=...)`, `w.serving_endpoints.*_permission*(serving_endpoint_id=...)`
and the generic `w.permissions.get/set/update(type, id)`.
The registry-wide object is `/registered-models/root`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.permissions.schemas.permissions import SetPermissions
from regista.server.permissions.services import permissions as service
from regista.server.permissions.services.authz import EXPERIMENTS, REGISTERED_MODELS, SERVING_ENDPOINTS

router = APIRouter(route_class=TransactionalRoute)


@router.get("/registered-models/{registered_model_id}")
def get_registered_model_permissions(ctx: ReadCtx, registered_model_id: str) -> Response:
    return ok(service.get_permissions(ctx, REGISTERED_MODELS, registered_model_id))


@router.put("/registered-models/{registered_model_id}")
def set_registered_model_permissions(
    ctx: WriteCtx, req: Annotated[SetPermissions, Depends(message(SetPermissions))], registered_model_id: str
) -> Response:
    return ok(
        service.set_permissions(ctx, REGISTERED_MODELS, registered_model_id, req.access_control_list, replace=True)
    )


@router.patch("/registered-models/{registered_model_id}")
def update_registered_model_permissions(
    ctx: WriteCtx, req: Annotated[SetPermissions, Depends(message(SetPermissions))], registered_model_id: str
) -> Response:
    return ok(
        service.set_permissions(ctx, REGISTERED_MODELS, registered_model_id, req.access_control_list, replace=False)
    )


@router.get("/registered-models/{registered_model_id}/permissionLevels")
def get_registered_model_permission_levels(ctx: ReadCtx, registered_model_id: str) -> Response:
    return ok(service.get_permission_levels(ctx, REGISTERED_MODELS, registered_model_id))


@router.get("/experiments/{experiment_id}")
def get_experiment_permissions(ctx: ReadCtx, experiment_id: str) -> Response:
    return ok(service.get_permissions(ctx, EXPERIMENTS, experiment_id))


@router.put("/experiments/{experiment_id}")
def set_experiment_permissions(
    ctx: WriteCtx, req: Annotated[SetPermissions, Depends(message(SetPermissions))], experiment_id: str
) -> Response:
    return ok(service.set_permissions(ctx, EXPERIMENTS, experiment_id, req.access_control_list, replace=True))


@router.patch("/experiments/{experiment_id}")
def update_experiment_permissions(
    ctx: WriteCtx, req: Annotated[SetPermissions, Depends(message(SetPermissions))], experiment_id: str
) -> Response:
    return ok(service.set_permissions(ctx, EXPERIMENTS, experiment_id, req.access_control_list, replace=False))


@router.get("/experiments/{experiment_id}/permissionLevels")
def get_experiment_permission_levels(ctx: ReadCtx, experiment_id: str) -> Response:
    return ok(service.get_permission_levels(ctx, EXPERIMENTS, experiment_id))


@router.get("/serving-endpoints/{serving_endpoint_id}")
def get_serving_endpoint_permissions(ctx: ReadCtx, serving_endpoint_id: str) -> Response:
    return ok(service.get_permissions(ctx, SERVING_ENDPOINTS, serving_endpoint_id))


@router.put("/serving-endpoints/{serving_endpoint_id}")
def set_serving_endpoint_permissions(
    ctx: WriteCtx, req: Annotated[SetPermissions, Depends(message(SetPermissions))], serving_endpoint_id: str
) -> Response:
    return ok(service.set_permissions(
        ctx, SERVING_ENDPOINTS, serving_endpoint_id, req.access_control_list, replace=True
    ))


@router.patch("/serving-endpoints/{serving_endpoint_id}")
def update_serving_endpoint_permissions(
    ctx: WriteCtx, req: Annotated[SetPermissions, Depends(message(SetPermissions))], serving_endpoint_id: str
) -> Response:
    return ok(service.set_permissions(
        ctx, SERVING_ENDPOINTS, serving_endpoint_id, req.access_control_list, replace=False
    ))


@router.get("/serving-endpoints/{serving_endpoint_id}/permissionLevels")
def get_serving_endpoint_permission_levels(ctx: ReadCtx, serving_endpoint_id: str) -> Response:
    return ok(service.get_permission_levels(ctx, SERVING_ENDPOINTS, serving_endpoint_id))
