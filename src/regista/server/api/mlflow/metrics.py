"""MLflow REST handlers for metrics (/api/2.0/mlflow/metrics/...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.schemas.mlflow.metrics import GetMetricHistory
from regista.server.api.parsing import message
from regista.server.api.responses import ok
from regista.server.api.routing import TransactionalRoute
from regista.server.deps import ReadCtx
from regista.server.services import metrics as service

router = APIRouter(route_class=TransactionalRoute)


@router.get("/metrics/get-history")
def get_metric_history(
    ctx: ReadCtx, req: Annotated[GetMetricHistory, Depends(message(GetMetricHistory))]
) -> Response:
    result = service.get_metric_history(
        ctx, req.run_id or req.run_uuid, req.metric_key, req.max_results, req.page_token
    )
    return ok(result)
