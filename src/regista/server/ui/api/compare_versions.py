"""The Compare versions page (/models/<name>/compare?version=…): parameters, metrics and signatures of the
chosen versions side by side (optionally only the rows that differ), and scatter, contour and parallel
coordinates plots of chosen parameters and metrics (drawn by static/plots.js with plotly)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import InvalidParameter, NotFound, PermissionDenied
from regista.server.http.deps import ReadCtx
from regista.server.http.parsing import message
from regista.server.http.routing import OutsideTransaction, outside_transaction
from regista.server.registry.services import model_versions
from regista.server.tracking.services import runs
from regista.server.ui.api.model import model_path
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import render
from regista.server.ui.schemas.compare import CompareVersions
from regista.server.ui.services.model_files import model_files
from regista.server.ui.services.run_comparison import comparison_rows, plot_data

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_VERSIONS = 10


def _run_data(ctx: ReadCtx, run_id: str | None) -> dict[str, Any]:
    """A run's params and metrics (latest values), or empty when there is no run or it may not be read."""
    if not run_id:
        return {"params": {}, "metrics": {}}
    try:
        data = runs.get_run(ctx, run_id)["data"]
    except (NotFound, PermissionDenied):
        return {"params": {}, "metrics": {}}
    return {
        "params": {p["key"]: p["value"] for p in data.get("params", [])},
        "metrics": {m["key"]: m["value"] for m in data.get("metrics", [])},
    }


@router.get("/models/{name}/compare")
def compare_versions(
    ctx: ReadCtx, req: Annotated[CompareVersions, Depends(message(CompareVersions))], name: str
) -> OutsideTransaction:
    chosen = list(dict.fromkeys(req.version))
    if not chosen:
        raise InvalidParameter("Select two or more versions to compare.")
    if len(chosen) > MAX_VERSIONS:
        raise InvalidParameter(f"Compare at most {MAX_VERSIONS} versions at a time.")
    columns = []
    roots = []
    for version in chosen:
        view = model_versions.get_model_version(ctx, name, version)
        try:
            _, root = model_versions.model_version_files_root(ctx, name, version)
        except PermissionDenied:
            root = None
        roots.append(root)
        columns.append({"label": f"Version {view['version']}", "version": view,
                        "path": f"{model_path(name)}/versions/{view['version']}", **_run_data(ctx, view.get("run_id"))})
    values = {"name": name, "model_path": model_path(name), "columns": columns, "diff": req.diff == "1",
              "chosen": chosen}
    # Signatures are read from the files once the transaction has ended.
    return outside_transaction(_render_comparison, values, roots)


async def _render_comparison(request: Request, values: dict[str, Any], roots: list[str | None]) -> Response:
    repo = request.app.state.artifacts
    for column, root in zip(values["columns"], roots, strict=True):
        column["signature"] = (await anyio.to_thread.run_sync(model_files, repo, root)).signature
    columns = values["columns"]
    return render(
        request, "models/compare.html", **values,
        params=comparison_rows([c["params"] for c in columns], values["diff"]),
        metrics=comparison_rows([c["metrics"] for c in columns], values["diff"]),
        signatures=comparison_rows([_signature_text(c["signature"]) for c in columns], values["diff"]),
        plot=plot_data([c["label"] for c in columns], [c["params"] for c in columns],
                       [c["metrics"] for c in columns]),
    )


def _signature_text(signature: dict[str, list[dict[str, Any]]] | None) -> dict[str, str]:
    """One row per signature part, each column spec as `name: type`."""
    if not signature:
        return {}
    return {
        part: ", ".join(f"{s.get('name', '(unnamed)')}: {s.get('display', '')}" for s in specs)
        for part, specs in signature.items()
        if specs
    }
