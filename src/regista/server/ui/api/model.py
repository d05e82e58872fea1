"""The model page (/models/<name>): description, tags, the versions table (stage and alias columns,
checkboxes and Compare), Permissions, Rename and Delete. What the caller may not do is not offered; the
services check every action again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.server.events.services import notifications
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.permissions.services import authz
from regista.server.registry.schemas.model_versions import SearchModelVersions
from regista.server.registry.services import model_versions, registered_models
from regista.server.ui.api.forms import Form
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.permissions import permissions_panel
from regista.server.ui.api.rendering import redirect, render, url_part

router = APIRouter(route_class=PageRoute, include_in_schema=False)

VERSIONS_PAGE_SIZE = 50
# The "Notify me about" menu: e-mail level per model, in the Databricks UI's words.
NOTIFY_LEVELS = (
    ("ALL_EVENTS", "All new activity"),
    ("DEFAULT", "Activity on versions I follow"),
    ("UNSUBSCRIBED", "Mute notifications"),
)


def at_least(level: str | None, required: str) -> bool:
    """Whether a model permission level includes `required` (to show or hide an action)."""
    return level is not None and authz.MODEL_LEVEL_RANK[level] >= authz.MODEL_LEVEL_RANK[required]


def quoted(value: str) -> str:
    """A string literal of the filter grammar."""
    return '"' + value + '"' if "'" in value else "'" + value + "'"


def model_path(name: str) -> str:
    return f"/models/{url_part(name)}"


@router.get("/models/{name}")
def model_page(request: Request, ctx: ReadCtx, name: str, page_token: str = "") -> Response:
    model = registered_models.get_registered_model_databricks(ctx, name)
    level = model.get("permission_level")
    versions = model_versions.search_model_versions(
        ctx, SearchModelVersions(filter=f"name = {quoted(name)}", max_results=VERSIONS_PAGE_SIZE,
                                 order_by=["version_number DESC"], page_token=page_token or None),
    )
    panel = None
    if at_least(level, authz.CAN_MANAGE):
        panel = permissions_panel(ctx, authz.REGISTERED_MODELS, model["id"], model_path(name))
    return render(
        request, "models/model.html", model=model, versions=versions.items,
        next_page_token=versions.next_page_token, first_page=not page_token, level=level,
        can_edit=at_least(level, authz.CAN_EDIT), can_manage=at_least(level, authz.CAN_MANAGE),
        permissions=panel, model_path=model_path(name),
        notify_levels=NOTIFY_LEVELS, notify_level=notifications.get_model_level(ctx, name),
        references=inference_references(model, versions.items),
    )


def inference_references(model: dict[str, Any], versions: list[dict[str, Any]]) -> list[str]:
    """What "Use model for inference" offers to follow: the aliases (of the versions on the page), the stages
    that have a version, then `latest`."""
    aliases = sorted({a for v in versions for a in v.get("aliases", [])})
    stages = [v["current_stage"] for v in model.get("latest_versions", []) if v["current_stage"] != "None"]
    return [f"@{a}" for a in aliases] + list(dict.fromkeys(stages)) + ["latest"]


@router.post("/models/{name}/notifications")
def set_notifications(request: Request, ctx: WriteCtx, form: Form, name: str) -> Response:
    level = notifications.set_model_level(ctx, name, form.required("level", "Notify me about"))
    label = dict(NOTIFY_LEVELS)[level]
    return redirect(model_path(name), flash=f"E-mail notifications for {name}: {label}.")


@router.post("/models/{name}/description")
def edit_description(request: Request, ctx: WriteCtx, form: Form, name: str) -> Response:
    registered_models.update_registered_model(ctx, name, form.get("description"))
    return redirect(model_path(name), flash="Description saved.")


@router.post("/models/{name}/tags")
def set_tag(request: Request, ctx: WriteCtx, form: Form, name: str) -> Response:
    key = form.required("key", "Tag key")
    registered_models.set_registered_model_tag(ctx, name, key, form.get("value"))
    return redirect(model_path(name), flash=f"Tag {key} saved.")


@router.post("/models/{name}/tags/delete")
def delete_tag(request: Request, ctx: WriteCtx, form: Form, name: str) -> Response:
    key = form.required("key", "Tag key")
    registered_models.delete_registered_model_tag(ctx, name, key)
    return redirect(model_path(name), flash=f"Tag {key} deleted.")


@router.post("/models/{name}/rename")
def rename_model(request: Request, ctx: WriteCtx, form: Form, name: str) -> Response:
    new_name = form.required("new_name", "New name")
    registered_models.rename_registered_model(ctx, name, new_name)
    return redirect(model_path(new_name), flash=f"Model renamed to {new_name}.")


@router.post("/models/{name}/delete")
def delete_model(request: Request, ctx: WriteCtx, name: str) -> Response:
    registered_models.delete_registered_model(ctx, name)
    return redirect("/models", flash=f"Model {name} deleted.")
