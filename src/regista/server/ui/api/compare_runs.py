"""The Compare runs page (/experiments/<id>/compare?run=…): parameters and metrics of the selected runs
side by side (optionally only the rows that differ), and the same scatter, contour and parallel
coordinates plots as Compare versions (ui/services/run_comparison, static/plots.js)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import InvalidParameter
from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import message
from regista.server.tracking.services import experiments, runs
from regista.server.ui.api.experiments import experiment_path
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import render
from regista.server.ui.schemas.compare import CompareRuns
from regista.server.ui.services.run_comparison import comparison_rows, plot_data

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_RUNS = 20


@router.get("/experiments/{experiment_id}/compare")
def compare_runs(
    request: Request, ctx: ReadCtx, req: Annotated[CompareRuns, Depends(message(CompareRuns))], experiment_id: str
) -> Response:
    chosen = list(dict.fromkeys(req.run))
    if len(chosen) < 2:
        raise InvalidParameter("Select two or more runs to compare.")
    if len(chosen) > MAX_RUNS:
        raise InvalidParameter(f"Compare at most {MAX_RUNS} runs at a time.")
    experiment = experiments.get_experiment(ctx, experiment_id)
    # Each run is read through the service (CAN_READ on its own experiment, whichever that is).
    columns: list[dict[str, Any]] = []
    for run_id in chosen:
        run = runs.get_run(ctx, run_id)
        info, data = run["info"], run["data"]
        columns.append({
            "label": info.get("run_name") or info["run_id"], "info": info,
            "path": f"{experiment_path(info['experiment_id'])}/runs/{info['run_id']}",
            "params": {p["key"]: p["value"] for p in data["params"]},
            "metrics": {m["key"]: m["value"] for m in data["metrics"]},
        })
    diff = req.diff == "1"
    return render(
        request, "experiments/compare.html", experiment=experiment,
        experiment_path=experiment_path(experiment["experiment_id"]), columns=columns, chosen=chosen, diff=diff,
        params=comparison_rows([c["params"] for c in columns], diff),
        metrics=comparison_rows([c["metrics"] for c in columns], diff),
        plot=plot_data([c["label"] for c in columns], [c["params"] for c in columns],
                       [c["metrics"] for c in columns]),
    )
