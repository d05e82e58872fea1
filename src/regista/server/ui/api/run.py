"""The run page (/experiments/<id>/runs/<run_id>): parameters, metrics (history plotted per step and per
time by static/run.js), tags, inputs, logged models, the artifact browser (previews of text, JSON/YAML,
CSV tables and images; download for the rest), run tags for editors, and Register model on a model folder
or a logged model (a new or an existing registered model)."""

from __future__ import annotations

import posixpath
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from regista.errors import InvalidParameter, NotFound
from regista.server.artifacts.services import artifacts
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message
from regista.server.http.routing import OutsideTransaction, outside_transaction
from regista.server.permissions.services import authz
from regista.server.registry.schemas.model_versions import CreateModelVersion
from regista.server.registry.services import model_versions, registered_models
from regista.server.tracking.services import experiments, logged_models, runs
from regista.server.ui.api.experiments import experiment_path, may
from regista.server.ui.api.forms import Form
from regista.server.ui.api.model import model_path
from regista.server.ui.api.models import may_create_models
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import redirect, render, url_part
from regista.server.ui.schemas.run_page import RunPage
from regista.server.ui.services.artifact_preview import is_model_folder, read_preview

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_LOGGED_MODELS = 50


def run_path(experiment_id: str, run_id: str) -> str:
    return f"{experiment_path(experiment_id)}/runs/{url_part(run_id)}"


def _run_in(ctx: ReadCtx, experiment_id: str, run_id: str) -> dict[str, Any]:
    """The run, when it belongs to `experiment_id` (a link naming another experiment is not found)."""
    run = runs.get_run(ctx, run_id)
    if run["info"]["experiment_id"] != experiment_id.strip():
        raise NotFound(f"Run '{run_id}' not found in experiment {experiment_id}.")
    return run


def _system_tag(key: str) -> bool:
    return key.startswith("mlflow.")


@router.get("/experiments/{experiment_id}/runs/{run_id}")
def run_page(
    ctx: ReadCtx, req: Annotated[RunPage, Depends(message(RunPage))], experiment_id: str, run_id: str
) -> OutsideTransaction:
    path, file = req.path or "", req.file or ""
    run = _run_in(ctx, experiment_id, run_id)
    info = run["info"]
    eid = info["experiment_id"]
    experiment = experiments.get_experiment(ctx, eid)
    root_uri, where, folder = artifacts.run_artifact_listing(ctx, info["run_id"], path or None)
    file_rel = artifacts.run_artifact_file(ctx, info["run_id"], file, False) if file else None
    models = logged_models.search_logged_models(
        ctx, [eid], f"source_run_id = '{info['run_id']}'", [], MAX_LOGGED_MODELS, [], None
    ).items
    tags = run["data"]["tags"]
    values = {
        "run": run, "info": info, "experiment": experiment, "run_path": run_path(eid, info["run_id"]),
        "experiment_path": experiment_path(eid),
        "params": sorted(run["data"]["params"], key=lambda p: p["key"]),
        "metrics": sorted(run["data"]["metrics"], key=lambda m: m["key"]),
        "user_tags": sorted((t for t in tags if not _system_tag(t["key"])), key=lambda t: t["key"]),
        "system_tags": sorted((t for t in tags if _system_tag(t["key"])), key=lambda t: t["key"]),
        "datasets": run["inputs"]["dataset_inputs"], "logged_models": models,
        "root_uri": root_uri, "folder": folder, "file": file if file_rel else None,
        "can_edit": may(authz.experiment_level(ctx, eid), authz.CAN_EDIT),
        "may_create_models": may_create_models(ctx),
    }
    # Listing the folder and reading a preview is file I/O: it runs once the transaction has ended.
    return outside_transaction(_render_run, values, where, file_rel)


async def _render_run(request: Request, values: dict[str, Any], where: str | None, file_rel: str | None) -> Response:
    repo = request.app.state.artifacts
    entries = await anyio.to_thread.run_sync(artifacts.listed_entries, repo, where, values["folder"])
    preview = await anyio.to_thread.run_sync(read_preview, repo, file_rel) if file_rel else None
    folder = values["folder"]
    crumbs = []
    parts = folder.split("/") if folder else []
    for i, part in enumerate(parts):
        crumbs.append({"name": part, "path": "/".join(parts[: i + 1])})
    return render(
        request, "experiments/run.html", **values, entries=entries, preview=preview, crumbs=crumbs,
        model_folder=is_model_folder(entries), file_name=posixpath.basename(values["file"] or ""),
        stored=where is not None,
    )


@router.post("/experiments/{experiment_id}/runs/{run_id}/tags")
def set_run_tag(request: Request, ctx: WriteCtx, form: Form, experiment_id: str, run_id: str) -> Response:
    run = _run_in(ctx, experiment_id, run_id)
    key = form.required("key", "Tag key")
    runs.set_tag(ctx, run["info"]["run_id"], key, form.get("value"))
    return redirect(run_path(experiment_id, run_id), flash=f"Tag {key} set.")


@router.post("/experiments/{experiment_id}/runs/{run_id}/tags/delete")
def delete_run_tag(request: Request, ctx: WriteCtx, form: Form, experiment_id: str, run_id: str) -> Response:
    run = _run_in(ctx, experiment_id, run_id)
    key = form.required("key", "Tag key")
    runs.delete_tag(ctx, run["info"]["run_id"], key)
    return redirect(run_path(experiment_id, run_id), flash=f"Tag {key} deleted.")


def _source(form_source: str, run_id: str) -> tuple[str, str | None, str | None]:
    """(source URI, run_id, model_id) of what is registered: `run:<folder>` (a model folder of the run's
    artifacts) or `model:<model_id>` (a logged model of the run)."""
    kind, _, value = form_source.partition(":")
    if kind == "run":
        folder = value.strip("/")
        return f"runs:/{run_id}/{folder}", run_id, None
    if kind == "model" and value:
        return f"models:/{value}", None, value
    raise InvalidParameter("Choose the model folder or logged model to register.")


@router.post("/experiments/{experiment_id}/runs/{run_id}/register")
def register_model(request: Request, ctx: WriteCtx, form: Form, experiment_id: str, run_id: str) -> Response:
    """Create the registered model when asked (`target=new`), then register the version in a second request:
    the version's source is resolved and copied before its own transaction opens, so the new model must be
    committed first. The 307 repeats the same form post (with its CSRF token) to the version step."""
    run = _run_in(ctx, experiment_id, run_id)
    _source(form.get("source"), run["info"]["run_id"])
    if form.get("target") == "new":
        name = form.required("new_name", "Model name")
        registered_models.create_registered_model(ctx, name, {}, None)
    elif form.get("target") != "existing":
        raise InvalidParameter("Choose a new or an existing registered model.")
    return RedirectResponse(f"{run_path(experiment_id, run_id)}/register-version", status_code=307)


@router.post("/experiments/{experiment_id}/runs/{run_id}/register-version")
def register_version(request: Request, ctx: WriteCtx, form: Form, experiment_id: str, run_id: str) -> Response:
    # Nothing is read here before the service: it resolves the source (checking read access on the run or
    # logged model) and copies the files before this request's write transaction opens.
    name = form.required("new_name" if form.get("target") == "new" else "existing_name", "Model name")
    source, source_run, model_id = _source(form.get("source"), run_id)
    view = model_versions.create_model_version(
        ctx, CreateModelVersion(name=name, source=source, run_id=source_run, model_id=model_id)
    )
    return redirect(f"{model_path(name)}/versions/{view['version']}",
                    flash=f"Registered {name} version {view['version']}.")
