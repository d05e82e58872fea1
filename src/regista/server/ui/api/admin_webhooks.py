"""Admin › Webhooks (/admin/webhooks, admins only): every registry webhook (Databricks' and MLflow's APIs) with
its status (change, delete), and the delivery log (webhook calls and e-mails) filtered by state, channel,
event or webhook, with each delivery's attempts and Replay for the chosen ones or for all that match."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.schemas.numbers import INT32_MAX, parse_int
from regista.server.events.schemas.webhooks import UpdateRegistryWebhook, UpdateWebhook
from regista.server.events.services import deliveries, webhooks_databricks, webhooks_mlflow
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.identity.services import identities
from regista.server.ui.api.forms import Form, FormData
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import local_path, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

WEBHOOKS = "/admin/webhooks"
WEBHOOKS_PAGE_SIZE = 50
DELIVERIES_PAGE_SIZE = 50
REGISTRY_STATUSES = ("ACTIVE", "TEST_MODE", "DISABLED")
MLFLOW_STATUSES = ("ACTIVE", "DISABLED")
FILTERS = ("state", "channel", "event", "webhook_id")


def _filters(values: dict[str, str]) -> dict[str, str | None]:
    """The delivery-log filters of a query string or form (an empty field is no filter)."""
    return {key: (values.get(key) or "").strip() or None for key in FILTERS}


def _here(filters: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"{WEBHOOKS}?{query}" if query else WEBHOOKS


@router.get(WEBHOOKS)
def webhooks_page(request: Request, ctx: ReadCtx, page_token: str = "", registry_token: str = "",
                  mlflow_token: str = "") -> Response:
    """Each list pages on its own (`registry_token`, `mlflow_token`, `page_token` for the delivery log)."""
    identities.require_admin(ctx)
    filters = _filters(dict(request.query_params))
    log = deliveries.list_deliveries(ctx, **filters, max_results=DELIVERIES_PAGE_SIZE, page_token=page_token or None)
    registry = webhooks_databricks.list_webhooks(ctx, None, None, WEBHOOKS_PAGE_SIZE, registry_token or None)
    registry_hooks = [{**h, "target": webhook_target(h)} for h in registry.get("webhooks", [])]
    mlflow = webhooks_mlflow.list_webhooks(ctx, WEBHOOKS_PAGE_SIZE, mlflow_token or None)
    return render(
        request, "admin/webhooks.html", registry_hooks=registry_hooks, mlflow_hooks=mlflow.get("webhooks", []),
        registry_token=registry_token, registry_next=registry.get("next_page_token"),
        mlflow_token=mlflow_token, mlflow_next=mlflow.get("next_page_token"),
        registry_statuses=REGISTRY_STATUSES, mlflow_statuses=MLFLOW_STATUSES, filters=filters,
        states=("PENDING", "SUCCEEDED", "FAILED"), channels=deliveries.CHANNELS, log=log["deliveries"],
        next_page_token=log.get("next_page_token"), first_page=not page_token, here=_here(filters),
    )


def _back(form: FormData) -> str:
    return local_path(form.get("next"), WEBHOOKS)


@router.post(WEBHOOKS + "/registry/{webhook_id}/status")
def set_registry_webhook_status(request: Request, ctx: WriteCtx, form: Form, webhook_id: str) -> Response:
    status = form.required("status", "Status")
    webhooks_databricks.update_webhook(ctx, UpdateRegistryWebhook(id=webhook_id, status=status))
    return redirect(_back(form), flash=f"Webhook {webhook_id} is now {status}.")


@router.post(WEBHOOKS + "/registry/{webhook_id}/delete")
def delete_registry_webhook(request: Request, ctx: WriteCtx, form: Form, webhook_id: str) -> Response:
    webhooks_databricks.delete_webhook(ctx, webhook_id)
    return redirect(_back(form), flash=f"Webhook {webhook_id} deleted.")


@router.post(WEBHOOKS + "/mlflow/{webhook_id}/status")
def set_mlflow_webhook_status(request: Request, ctx: WriteCtx, form: Form, webhook_id: str) -> Response:
    status = form.required("status", "Status")
    webhooks_mlflow.update_webhook(ctx, webhook_id, UpdateWebhook(status=status))
    return redirect(_back(form), flash=f"Webhook {webhook_id} is now {status}.")


@router.post(WEBHOOKS + "/mlflow/{webhook_id}/delete")
def delete_mlflow_webhook(request: Request, ctx: WriteCtx, form: Form, webhook_id: str) -> Response:
    webhooks_mlflow.delete_webhook(ctx, webhook_id)
    return redirect(_back(form), flash=f"Webhook {webhook_id} deleted.")


@router.post(WEBHOOKS + "/deliveries/replay")
def replay_deliveries(request: Request, ctx: WriteCtx, form: Form) -> Response:
    """Replay the ticked deliveries, or (with `matching`) every delivery the page's filters select."""
    if form.checked("matching"):
        filters = _filters({key: form.get(key) for key in FILTERS})
        count = deliveries.replay(ctx, webhook_id=filters["webhook_id"], state=filters["state"],
                                  event=filters["event"])
    else:
        ids = [parse_int(i, "id", 1, INT32_MAX) for i in form.all("id")]
        count = deliveries.replay(ctx, ids=ids)
    noun = "delivery" if count == 1 else "deliveries"
    return redirect(_back(form), flash=f"{count} {noun} queued again.")


def webhook_target(hook: dict[str, Any]) -> str:
    """Where a registry webhook sends: its URL, or the job it runs."""
    if "http_url_spec" in hook:
        return str(hook["http_url_spec"]["url"])
    job = hook.get("job_spec", {})
    return f"job {job.get('job_id')}" + (f" on {job['workspace_url']}" if job.get("workspace_url") else "")
