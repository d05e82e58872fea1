"""The Experiments page (/experiments: search, paging, Create experiment) and the experiment page
(/experiments/<id>: the runs table with columns chosen by the user, the filter grammar, sort and paging;
Compare of the selected runs; Rename, Delete and Permissions for managers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.permissions.services import authz
from regista.server.tracking.services import experiments, run_search
from regista.server.ui.api.forms import Form
from regista.server.ui.api.models import search_filter
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.permissions import permissions_panel
from regista.server.ui.api.rendering import redirect, render
from regista.server.ui.services.run_table import USER_TAG, RunTable, chosen_columns, run_table

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 25
RUNS_PAGE_SIZE = 50


def experiment_path(experiment_id: str) -> str:
    return f"/experiments/{experiment_id}"


def may(level: str | None, required: str) -> bool:
    """Whether an experiment permission level includes `required` (to show or hide an action)."""
    return level is not None and authz.EXPERIMENT_LEVEL_RANK[level] >= authz.EXPERIMENT_LEVEL_RANK[required]


@router.get("/experiments")
def experiments_page(request: Request, ctx: ReadCtx, q: str = "", page_token: str = "") -> Response:
    page = experiments.search_experiments(
        ctx, search_filter(q), ["last_update_time DESC", "experiment_id DESC"], None, PAGE_SIZE,
        page_token or None,
    )
    return render(
        request, "experiments/list.html", experiments=page.items, next_page_token=page.next_page_token, q=q,
        first_page=not page_token,
    )


@router.post("/experiments")
def create_experiment(request: Request, ctx: WriteCtx, form: Form) -> Response:
    name = form.required("name", "Experiment name")
    experiment_id = experiments.create_experiment(ctx, name, None, [])
    return redirect(experiment_path(experiment_id), flash=f"Experiment {name} created.")


@router.get("/experiments/{experiment_id}")
def experiment_page(
    request: Request, ctx: ReadCtx, experiment_id: str, q: str = "", order: str = "", page_token: str = "",
    columns: str = "",
) -> Response:
    experiment = experiments.get_experiment(ctx, experiment_id)
    eid = experiment["experiment_id"]
    order_by = [order] if order else ["attributes.start_time DESC"]
    chosen, explicit = request.query_params.getlist("column"), columns == "1"
    page = run_search.search_run_columns(
        ctx, [eid], q.strip() or None, RUNS_PAGE_SIZE, order_by, page_token or None,
        chosen_columns(chosen, explicit), (USER_TAG,),
    )
    table: RunTable = run_table(page, chosen, explicit)
    level = authz.experiment_level(ctx, eid)
    values: dict[str, Any] = {
        "experiment": experiment, "experiment_path": experiment_path(eid), "table": table, "q": q,
        "order": order, "page_token": page_token, "next_page_token": page.next_page_token if page else None,
        "can_manage": may(level, authz.CAN_MANAGE),
        "permissions": permissions_panel(ctx, authz.EXPERIMENTS, eid, experiment_path(eid)),
    }
    return render(request, "experiments/experiment.html", **values)


@router.post("/experiments/{experiment_id}/rename")
def rename_experiment(request: Request, ctx: WriteCtx, form: Form, experiment_id: str) -> Response:
    name = form.required("name", "New name")
    experiments.rename_experiment(ctx, experiment_id, name)
    return redirect(experiment_path(experiment_id), flash=f"Renamed to {name}.")


@router.post("/experiments/{experiment_id}/delete")
def delete_experiment(request: Request, ctx: WriteCtx, experiment_id: str) -> Response:
    experiments.delete_experiment(ctx, experiment_id)
    return redirect("/experiments", flash="Experiment deleted (with its runs).")
