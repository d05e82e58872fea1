"""MLflow REST handlers for metrics (/api/2.0/mlflow/metrics/...; the web UI's bulk reads under /ajax-api)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.tracking.schemas.metrics import (
    GetMetricHistory,
    GetMetricHistoryBulk,
    GetMetricHistoryBulkInterval,
)
from regista.server.tracking.services import metrics as service

router = APIRouter(route_class=TransactionalRoute)


@router.get("/metrics/get-history")
def get_metric_history(
    ctx: ReadCtx, req: Annotated[GetMetricHistory, Depends(message(GetMetricHistory))]
) -> Response:
    page = service.get_metric_history(ctx, req.run_id or req.run_uuid, req.metric_key, req.max_results, req.page_token)
    return ok(page.body("metrics"))


@router.get("/metrics/get-history-bulk")
def get_metric_history_bulk(
    ctx: ReadCtx, req: Annotated[GetMetricHistoryBulk, Depends(message(GetMetricHistoryBulk))]
) -> Response:
    return ok(service.get_metric_history_bulk(ctx, req.run_id, req.metric_key, req.max_results))


@router.get("/metrics/get-history-bulk-interval")
def get_metric_history_bulk_interval(
    ctx: ReadCtx, req: Annotated[GetMetricHistoryBulkInterval, Depends(message(GetMetricHistoryBulkInterval))]
) -> Response:
    result = service.get_metric_history_bulk_interval(
        ctx, req.run_ids, req.metric_key, req.start_step, req.end_step, req.max_results
    )
    return ok(result)
