"""Databricks REST handlers: the MLflow 1.x list endpoints (experiments/list, registered-models/list)
that databricks-sdk's `w.experiments.list_experiments()` and `w.model_registry.list_models()` call.

They are searches without a filter: same pages, tokens, visibility and response shapes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.schemas.databricks.listings import ListExperiments, ListRegisteredModels
from regista.server.api.parsing import message
from regista.server.api.responses import ok
from regista.server.api.routing import TransactionalRoute
from regista.server.deps import ReadCtx
from regista.server.services import experiments, registered_models

router = APIRouter(route_class=TransactionalRoute)


@router.get("/experiments/list")
def list_experiments(ctx: ReadCtx, req: Annotated[ListExperiments, Depends(message(ListExperiments))]) -> Response:
    return ok(experiments.list_experiments(ctx, req.view_type, req.max_results, req.page_token))


@router.get("/registered-models/list")
def list_registered_models(
    ctx: ReadCtx, req: Annotated[ListRegisteredModels, Depends(message(ListRegisteredModels))]
) -> Response:
    views, token = registered_models.list_registered_models(ctx, req.max_results, req.page_token)
    body: dict[str, object] = {"registered_models": views}
    if token:
        body["next_page_token"] = token
    return ok(body)
