"""POST /serving-endpoints/{name}/invocations (no /api/2.0 prefix, as on Databricks): the permission check
in the request's transaction, then the body (at most REGISTA_SERVING_MAX_REQUEST_BYTES, 16 MB) is routed
to a model worker by the supervisor (in this process, or forwarded to the process that supervises serving, see
services/gateway.py). The answer names the served entity in `served-model-name`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import RequestTooLarge, TemporarilyUnavailable
from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import read_capped
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction
from regista.server.serving.services import endpoints as service
from regista.server.serving.services.gateway import ServingGateway

router = APIRouter(route_class=TransactionalRoute)


@router.post("/serving-endpoints/{name}/invocations")
def query_serving_endpoint(ctx: ReadCtx, name: str) -> OutsideTransaction:
    endpoint, rate_limits = service.authorize_query(ctx, name)
    return outside_transaction(_invoke, endpoint, rate_limits, ctx.principal.name)


async def _invoke(request: Request, name: str, rate_limits: list[dict[str, Any]], user: str) -> Response:
    limit: int = request.app.state.settings.serving_max_request_bytes
    body = await read_capped(request, limit, RequestTooLarge(
        f"Request body is larger than the serving limit of {limit} bytes (REGISTA_SERVING_MAX_REQUEST_BYTES)."
    ))
    serving: ServingGateway | None = request.app.state.serving
    if serving is None:
        raise TemporarilyUnavailable("Model serving is off in this server process (REGISTA_SERVING).")
    content_type = request.headers.get("content-type") or "application/json"
    reply = await serving.invoke(name, content_type, body, user, rate_limits)
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type,
                    headers={"served-model-name": reply.served})
