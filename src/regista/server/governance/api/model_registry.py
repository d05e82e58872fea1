"""Databricks REST handlers: transition requests, comments, activities and the Databricks model-version
endpoints (paths and shapes as databricks-sdk `ModelRegistryAPI` and the Databricks UI call them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from regista.server.governance.schemas.model_registry import (
    ApproveTransitionRequest,
    CreateComment,
    CreateTransitionRequest,
    DecideTransitionRequest,
    DeleteComment,
    DeleteTransitionRequest,
    TransitionStageDatabricks,
    UpdateComment,
    VersionRef,
)
from regista.server.governance.services import activities, comments, transition_requests
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message, parse_message, read_json_object, refuse_nul
from regista.server.http.responses import ok
from regista.server.http.routing import TransactionalRoute
from regista.server.registry.services import model_versions_databricks

router = APIRouter(route_class=TransactionalRoute)

M = TypeVar("M", bound=BaseModel)


def query_message(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """The SDK sends these DELETE requests' fields as query parameters (a JSON body is accepted too)."""

    async def dependency(request: Request) -> M:
        data = dict(request.query_params)
        if data:
            refuse_nul(data)
        else:
            data = await read_json_object(request)
        return parse_message(model, data)

    dependency.query_model = model  # type: ignore[attr-defined]  # for the OpenAPI schema (http/routing.py)
    return dependency


# ---- transition requests ----


@router.post("/transition-requests/create")
def create_transition_request(
    ctx: WriteCtx, req: Annotated[CreateTransitionRequest, Depends(message(CreateTransitionRequest))]
) -> Response:
    return ok({"request": transition_requests.create_transition_request(
        ctx, req.name, req.version, req.stage, req.comment)})


@router.get("/transition-requests/list")
def list_transition_requests(ctx: ReadCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]) -> Response:
    return ok({"requests": transition_requests.list_transition_requests(ctx, req.name, req.version)})


@router.post("/transition-requests/approve")
def approve_transition_request(
    ctx: WriteCtx, req: Annotated[ApproveTransitionRequest, Depends(message(ApproveTransitionRequest))]
) -> Response:
    activity = transition_requests.approve_transition_request(
        ctx, req.name, req.version, req.stage, req.archive_existing_versions, req.comment
    )
    return ok({"activity": activity})


@router.post("/transition-requests/reject")
def reject_transition_request(
    ctx: WriteCtx, req: Annotated[DecideTransitionRequest, Depends(message(DecideTransitionRequest))]
) -> Response:
    activity = transition_requests.reject_transition_request(ctx, req.name, req.version, req.stage, req.comment)
    return ok({"activity": activity})


@router.delete("/transition-requests/delete")
def delete_transition_request(
    ctx: WriteCtx, req: Annotated[DeleteTransitionRequest, Depends(query_message(DeleteTransitionRequest))]
) -> Response:
    activity = transition_requests.delete_transition_request(
        ctx, req.name, req.version, req.stage, req.creator, req.comment
    )
    return ok({"activity": activity})


# ---- Databricks model-version variants and the activity feed ----


@router.post("/databricks/model-versions/transition-stage")
def transition_stage(
    ctx: WriteCtx, req: Annotated[TransitionStageDatabricks, Depends(message(TransitionStageDatabricks))]
) -> Response:
    view = model_versions_databricks.transition_stage_databricks(
        ctx, req.name, req.version, req.stage, req.archive_existing_versions, req.comment
    )
    # databricks-sdk < 0.58 read `model_version`; newer ones read `model_version_databricks`.
    return ok({"model_version_databricks": view, "model_version": view})


@router.get("/databricks/model-versions/get")
def get_model_version_databricks(
    ctx: ReadCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]
) -> Response:
    view = model_versions_databricks.get_model_version_databricks(ctx, req.name, req.version)
    return ok({"model_version_databricks": view})


@router.get("/model-versions/get-activities")
def get_activities(ctx: ReadCtx, req: Annotated[VersionRef, Depends(message(VersionRef))]) -> Response:
    return ok({"activities": activities.get_activities(ctx, req.name, req.version)})


# ---- comments ----


@router.post("/comments/create")
def create_comment(ctx: WriteCtx, req: Annotated[CreateComment, Depends(message(CreateComment))]) -> Response:
    return ok({"comment": comments.create_comment(ctx, req.name, req.version, req.comment)})


@router.patch("/comments/update")
def update_comment(ctx: WriteCtx, req: Annotated[UpdateComment, Depends(message(UpdateComment))]) -> Response:
    return ok({"comment": comments.update_comment(ctx, req.id, req.comment)})


@router.delete("/comments/delete")
def delete_comment(ctx: WriteCtx, req: Annotated[DeleteComment, Depends(query_message(DeleteComment))]) -> Response:
    comments.delete_comment(ctx, req.id)
    return ok()
