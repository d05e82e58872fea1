"""Databricks REST handler: the MLflow 1.x registered-models/list endpoint that databricks-sdk's
`w.model_registry.list_models()` calls; a search without a filter (same pages, page cursors and visibility)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.registry.schemas.listings import ListRegisteredModels
from regista.server.registry.services import registered_models

router = APIRouter(route_class=TransactionalRoute)


@router.get("/registered-models/list")
def list_registered_models(
    ctx: ReadCtx, req: Annotated[ListRegisteredModels, Depends(message(ListRegisteredModels))]
) -> Response:
    return ok(registered_models.list_registered_models(ctx, req.max_results, req.page_token).body("registered_models"))
