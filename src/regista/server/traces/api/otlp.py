"""OTLP span ingestion: POST /v1/traces (protobuf ExportTraceServiceRequest), as the mlflow client logs spans
and OpenTelemetry SDKs export them; the experiment comes from the x-mlflow-experiment-id header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import InvalidParameter
from regista.server.http.deps import WriteCtx
from regista.server.http.parsing import read_body
from regista.server.http.routing import TransactionalRoute
from regista.server.traces.services import trace_data

router = APIRouter(route_class=TransactionalRoute)

# An empty ExportTraceServiceResponse: every span was accepted.
_EMPTY_RESPONSE = b""


async def _protobuf_body(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-protobuf":
        raise InvalidParameter(f"Unsupported OTLP content type '{content_type}': this endpoint takes "
                               "application/x-protobuf.")
    return await read_body(request)


@router.post("/v1/traces")
def export_traces(
    ctx: WriteCtx,
    body: Annotated[bytes, Depends(_protobuf_body)],
    x_mlflow_experiment_id: Annotated[str | None, Header()] = None,
) -> Response:
    trace_data.log_spans(ctx, x_mlflow_experiment_id, body)
    return Response(_EMPTY_RESPONSE, media_type="application/x-protobuf")
