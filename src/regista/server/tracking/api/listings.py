"""Databricks REST handler: the MLflow 1.x experiments/list endpoint that databricks-sdk's
`w.experiments.list_experiments()` calls; a search without a filter (same pages, page cursors and visibility)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.tracking.schemas.listings import ListExperiments
from regista.server.tracking.services import experiments

router = APIRouter(route_class=TransactionalRoute)


@router.get("/experiments/list")
def list_experiments(ctx: ReadCtx, req: Annotated[ListExperiments, Depends(message(ListExperiments))]) -> Response:
    return ok(experiments.list_experiments(ctx, req.view_type, req.max_results, req.page_token).body("experiments"))
