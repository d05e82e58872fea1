"""Databricks REST handlers: serving endpoints (/api/2.0/serving-endpoints...), as the databricks-sdk's
`w.serving_endpoints` calls them: create, get, list, update_config, delete, logs, build_logs,
export_metrics (Prometheus text) and get_open_api. Logs, metrics and the OpenAPI document come from the
serving supervisor (in this process or the one that supervises serving, services/gateway.py), after the
request's transaction (the permission check) has ended."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import TemporarilyUnavailable
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import JSON, ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction
from regista.server.serving.schemas.endpoints import (
    CreateServingEndpoint,
    EndpointCoreConfigInput,
    GetUsage,
    PutRateLimits,
)
from regista.server.serving.services import endpoints as service
from regista.server.serving.services.gateway import PROMETHEUS, ServingGateway

router = APIRouter(route_class=TransactionalRoute)


def _serving(request: Request) -> ServingGateway:
    serving: ServingGateway | None = request.app.state.serving
    if serving is None:
        raise TemporarilyUnavailable("Model serving is off in this server process (REGISTA_SERVING).")
    return serving


@router.post("")
def create_serving_endpoint(
    ctx: WriteCtx, req: Annotated[CreateServingEndpoint, Depends(message(CreateServingEndpoint))]
) -> Response:
    return ok(service.create_endpoint(ctx, req))


@router.get("")
def list_serving_endpoints(ctx: ReadCtx) -> Response:
    return ok({"endpoints": service.list_endpoints(ctx)})


@router.get("/{name}")
def get_serving_endpoint(ctx: ReadCtx, name: str) -> Response:
    return ok(service.get_endpoint(ctx, name))


@router.put("/{name}/config")
def update_serving_endpoint_config(
    ctx: WriteCtx, req: Annotated[EndpointCoreConfigInput, Depends(message(EndpointCoreConfigInput))], name: str
) -> Response:
    return ok(service.update_config(ctx, name, req))


@router.delete("/{name}")
def delete_serving_endpoint(ctx: WriteCtx, name: str) -> Response:
    service.delete_endpoint(ctx, name)
    return ok()


@router.put("/{name}/rate-limits")
def put_serving_endpoint_rate_limits(
    ctx: WriteCtx, req: Annotated[PutRateLimits, Depends(message(PutRateLimits))], name: str
) -> Response:
    return ok(service.put_rate_limits(ctx, name, req.rate_limits))


# regista's own: the usage log of an endpoint's external models (mounted under /api/2.0/regista).
usage_router = APIRouter(route_class=TransactionalRoute)


@usage_router.get("/serving-endpoints/{name}/usage")
def get_serving_endpoint_usage(ctx: ReadCtx, req: Annotated[GetUsage, Depends(message(GetUsage))], name: str) -> Response:
    return ok(service.usage_report(ctx, name, req.max_results))


@router.get("/{name}/served-models/{served_model_name}/logs")
def get_served_model_logs(ctx: ReadCtx, name: str, served_model_name: str) -> OutsideTransaction:
    return outside_transaction(_logs, service.authorize_logs(ctx, name, served_model_name), served_model_name)


async def _logs(request: Request, name: str, served_name: str) -> Response:
    return ok({"logs": await _serving(request).logs(name, served_name)})


@router.get("/{name}/served-models/{served_model_name}/build-logs")
def get_served_model_build_logs(ctx: ReadCtx, name: str, served_model_name: str) -> OutsideTransaction:
    return outside_transaction(_build_logs, service.authorize_logs(ctx, name, served_model_name),
                               served_model_name)


async def _build_logs(request: Request, name: str, served_name: str) -> Response:
    return ok({"logs": await _serving(request).build_logs(name, served_name)})


@router.get("/{name}/metrics", response_class=Response)
def export_serving_endpoint_metrics(ctx: ReadCtx, name: str) -> OutsideTransaction:
    return outside_transaction(_metrics, service.authorize_metrics(ctx, name))


async def _metrics(request: Request, name: str) -> Response:
    return Response(await _serving(request).metrics(name), media_type=PROMETHEUS)


@router.get("/{name}/openapi")
def get_serving_endpoint_open_api(ctx: ReadCtx, name: str) -> OutsideTransaction:
    return outside_transaction(_open_api, service.authorize_open_api(ctx, name))


async def _open_api(request: Request, name: str) -> Response:
    return JSON(await _serving(request).open_api(name))
