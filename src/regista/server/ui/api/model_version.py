"""The version page (/models/<name>/versions/<v>): source run, stage menu (Transition to when the caller's
level allows the move, Request transition otherwise), pending requests (Approve, Reject, Cancel), the
activity feed with comments, description, tags, aliases, signature, files and Delete."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import NotFound, PermissionDenied
from regista.server.events.services import notifications
from regista.server.governance.services import activities, comments, transition_requests
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.routing import OutsideTransaction, outside_transaction
from regista.server.permissions.services import authz
from regista.server.registry.services import aliases, model_versions, model_versions_databricks
from regista.server.registry.services.registry_rules import STAGES
from regista.server.tracking.services import runs
from regista.server.ui.api.forms import Form
from regista.server.ui.api.model import at_least, model_path
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import redirect, render
from regista.server.ui.services.model_files import model_files

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Stages whose current versions the "Transition existing … versions to Archived" checkbox can archive.
ARCHIVABLE = transition_requests.ARCHIVING_STAGES


def version_path(name: str, version: str) -> str:
    return f"{model_path(name)}/versions/{version}"


def source_run(ctx: ReadCtx, run_id: str | None) -> dict[str, Any] | None:
    """The version's source run (id, experiment, name, the datasets it read) when the caller may read it."""
    if not run_id:
        return None
    try:
        run = runs.get_run(ctx, run_id)
    except (NotFound, PermissionDenied):
        return {"run_id": run_id, "experiment_id": None, "run_name": None, "datasets": []}
    info = run["info"]
    # Lineage: the datasets the run logged as inputs (mlflow.log_input), with the context it gave them.
    datasets = [{**d["dataset"], "context": next((t["value"] for t in d.get("tags", [])
                                                  if t["key"] == "mlflow.data.context"), None)}
                for d in run.get("inputs", {}).get("dataset_inputs", [])]
    return {"run_id": run_id, "experiment_id": info["experiment_id"], "run_name": info.get("run_name"),
            "datasets": datasets}


def feed(log: list[dict[str, Any]], notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Activities and comments, oldest first. Comment activities are replaced by the comments themselves
    (which carry their id and what the caller may do with them)."""
    items = [{"kind": "activity", **a} for a in log if a["activity_type"] != "NEW_COMMENT"]
    items += [{"kind": "comment", **c} for c in notes]
    return sorted(items, key=lambda i: i["creation_timestamp"])


@router.get("/models/{name}/versions/{version}")
def version_page(ctx: ReadCtx, name: str, version: str) -> OutsideTransaction:
    view = model_versions_databricks.get_model_version_databricks(ctx, name, version)
    for request in view.get("open_requests", []):  # the approve dialog starts from the requester's wish
        request["archive_requested"] = transition_requests.archive_requested(request)
    level = view.get("permission_level")
    current = view["current_stage"]
    try:
        uri, root = model_versions.model_version_files_root(ctx, name, version)
    except PermissionDenied as err:
        uri, root = err.message, None
    values = {
        "name": name, "version": view, "level": level, "version_path": version_path(name, view["version"]),
        "model_path": model_path(name), "run": source_run(ctx, view.get("run_id")),
        "feed": feed(activities.get_activities(ctx, name, version), comments.list_comments(ctx, name, version)),
        "moves": [(s, authz.may_move_versions(level, current, s)) for s in STAGES if s != current],
        "archivable": ARCHIVABLE, "can_edit": at_least(level, authz.CAN_EDIT),
        "can_manage": at_least(level, authz.CAN_MANAGE), "download_uri": uri,
        "following": notifications.is_following(ctx, name, version),
    }
    # Listing files and reading the signature is file I/O: it runs once the transaction has ended.
    return outside_transaction(_render_version, values, root)


async def _render_version(request: Request, values: dict[str, Any], root: str | None) -> Response:
    files = await anyio.to_thread.run_sync(model_files, request.app.state.artifacts, root)
    return render(request, "models/version.html", files=files, **values)


@router.post("/models/{name}/versions/{version}/transition")
def transition(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    stage = form.required("stage", "Stage")
    model_versions_databricks.transition_stage_databricks(
        ctx, name, version, stage, form.checked("archive_existing_versions"), form.optional("comment"))
    return redirect(version_path(name, version), flash=f"Version {version} is now in {stage}.")


@router.post("/models/{name}/versions/{version}/request-transition")
def request_transition(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    stage = form.required("stage", "Stage")
    transition_requests.create_transition_request(ctx, name, version, stage, form.optional("comment"),
                                                  form.checked("archive_existing_versions"))
    return redirect(version_path(name, version), flash=f"Requested a transition to {stage}.")


@router.post("/models/{name}/versions/{version}/requests/approve")
def approve_request(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    stage = form.required("stage", "Stage")
    transition_requests.approve_transition_request(
        ctx, name, version, stage, form.checked("archive_existing_versions"), form.optional("comment"))
    return redirect(version_path(name, version), flash=f"Approved: version {version} is now in {stage}.")


@router.post("/models/{name}/versions/{version}/requests/reject")
def reject_request(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    stage = form.required("stage", "Stage")
    transition_requests.reject_transition_request(ctx, name, version, stage, form.optional("comment"))
    return redirect(version_path(name, version), flash=f"Rejected the request to move to {stage}.")


@router.post("/models/{name}/versions/{version}/requests/cancel")
def cancel_request(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    stage = form.required("stage", "Stage")
    transition_requests.delete_transition_request(
        ctx, name, version, stage, form.required("creator", "Creator"), form.optional("comment"))
    return redirect(version_path(name, version), flash=f"Cancelled the request to move to {stage}.")


@router.post("/models/{name}/versions/{version}/comments")
def add_comment(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    comments.create_comment(ctx, name, version, form.required("comment", "Comment"))
    return redirect(version_path(name, version), flash="Comment added.")


@router.post("/models/{name}/versions/{version}/comments/{comment_id}/edit")
def edit_comment(request: Request, ctx: WriteCtx, form: Form, name: str, version: str, comment_id: str) -> Response:
    comments.update_comment(ctx, comment_id, form.required("comment", "Comment"))
    return redirect(version_path(name, version), flash="Comment saved.")


@router.post("/models/{name}/versions/{version}/comments/{comment_id}/delete")
def delete_comment(request: Request, ctx: WriteCtx, form: Form, name: str, version: str, comment_id: str) -> Response:
    comments.delete_comment(ctx, comment_id)
    return redirect(version_path(name, version), flash="Comment deleted.")


@router.post("/models/{name}/versions/{version}/description")
def edit_description(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    model_versions.update_model_version(ctx, name, version, form.get("description"))
    return redirect(version_path(name, version), flash="Description saved.")


@router.post("/models/{name}/versions/{version}/tags")
def set_tag(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    key = form.required("key", "Tag key")
    model_versions.set_model_version_tag(ctx, name, version, key, form.get("value"))
    return redirect(version_path(name, version), flash=f"Tag {key} saved.")


@router.post("/models/{name}/versions/{version}/tags/delete")
def delete_tag(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    key = form.required("key", "Tag key")
    model_versions.delete_model_version_tag(ctx, name, version, key)
    return redirect(version_path(name, version), flash=f"Tag {key} deleted.")


@router.post("/models/{name}/versions/{version}/aliases")
def set_alias(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    alias = form.required("alias", "Alias")
    aliases.set_registered_model_alias(ctx, name, alias, version)
    return redirect(version_path(name, version), flash=f"@{alias} now points to version {version}.")


@router.post("/models/{name}/versions/{version}/aliases/delete")
def remove_alias(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    alias = form.required("alias", "Alias")
    aliases.delete_registered_model_alias(ctx, name, alias)
    return redirect(version_path(name, version), flash=f"Removed @{alias}.")


@router.post("/models/{name}/versions/{version}/delete")
def delete_version(request: Request, ctx: WriteCtx, form: Form, name: str, version: str) -> Response:
    model_versions.delete_model_version(ctx, name, version)
    return redirect(model_path(name), flash=f"Version {version} deleted.")
