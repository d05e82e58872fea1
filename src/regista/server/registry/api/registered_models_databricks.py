"""Databricks REST handlers: the Databricks variants of registered-model reads (/mlflow/databricks/registered-models/...).

`w.model_registry.get_model(name)` reads the model's numeric id (the permissions API's registered_model_id)
and the caller's permission level from here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.registry.schemas.registered_models import GetRegisteredModel
from regista.server.registry.services import registered_models as service

router = APIRouter(route_class=TransactionalRoute)


@router.get("/databricks/registered-models/get")
def get_registered_model_databricks(
    ctx: ReadCtx, req: Annotated[GetRegisteredModel, Depends(message(GetRegisteredModel))]
) -> Response:
    return ok({"registered_model_databricks": service.get_registered_model_databricks(ctx, req.name)})
