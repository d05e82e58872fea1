"""MLflow REST handlers for assessments (/api/3.0/mlflow/traces/{trace_id}/assessments...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.traces.schemas.requests import AssessmentBody
from regista.server.traces.services import assessments as service

router = APIRouter(route_class=TransactionalRoute)


@router.post("/traces/{trace_id}/assessments")
def create_assessment(
    ctx: WriteCtx, trace_id: str, req: Annotated[AssessmentBody, Depends(message(AssessmentBody))]
) -> Response:
    return ok(service.create(ctx, trace_id, req.assessment))


@router.get("/traces/{trace_id}/assessments/{assessment_id}")
def get_assessment(ctx: ReadCtx, trace_id: str, assessment_id: str) -> Response:
    return ok(service.get(ctx, trace_id, assessment_id))


@router.patch("/traces/{trace_id}/assessments/{assessment_id}")
def update_assessment(
    ctx: WriteCtx, trace_id: str, assessment_id: str,
    req: Annotated[AssessmentBody, Depends(message(AssessmentBody))],
) -> Response:
    return ok(service.update(ctx, trace_id, assessment_id, req.assessment, req.update_mask))


@router.delete("/traces/{trace_id}/assessments/{assessment_id}")
def delete_assessment(ctx: WriteCtx, trace_id: str, assessment_id: str) -> Response:
    service.delete(ctx, trace_id, assessment_id)
    return ok()
