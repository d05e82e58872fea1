"""Databricks registry webhooks: create, list, update, delete and test. Per-model webhooks need CAN_MANAGE
on the model, registry-wide ones a workspace admin (Databricks' rules)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from regista.errors import InvalidParameter, PermissionDenied
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.events.schemas.event_catalog import (
    DATABRICKS_EVENTS,
    DATABRICKS_EXAMPLE,
    DATABRICKS_STATUSES,
    REGISTRY_WIDE_ONLY,
    databricks_payload,
)
from regista.server.events.schemas.webhooks import (
    CreateRegistryWebhook,
    HttpUrlSpec,
    JobSpec,
    UpdateRegistryWebhook,
    registry_webhook_json,
)
from regista.server.events.services.sender import Call, build_call
from regista.server.events.services.webhook_rules import (
    check_choice,
    check_description,
    check_events,
    check_target,
)
from regista.server.events.stores import webhooks as store
from regista.server.permissions.services import authz
from regista.server.registry.services.model_versions import authorized_model
from regista.server.search.page_cursor import paginate
from regista.server.validation import validate_max_results

DIALECT = "databricks"
MAX_RESULTS = 1000
MAX_JOB_ID_LENGTH = 64


def _require_manage(ctx: Context, model_name: str | None) -> None:
    """CAN_MANAGE on the model for a per-model webhook; a workspace admin for a registry-wide one."""
    if model_name is None:
        authz.require_admin(ctx, "manage registry-wide webhooks")
    else:
        authorized_model(ctx, model_name, authz.CAN_MANAGE)


def _spec_values(ctx: Context, http: HttpUrlSpec | None, job: JobSpec | None) -> dict[str, Any]:
    if (http is None) == (job is None):
        raise InvalidParameter("Exactly one of http_url_spec or job_spec must be given.")
    if http is not None:
        check_target(ctx, http.url)
        box = ctx.settings.secret_box
        return {"url": http.url, "secret": box.seal_optional(http.secret or None),
                "authorization": box.seal_optional(http.authorization or None),
                "enable_ssl_verification": True if http.enable_ssl_verification is None else http.enable_ssl_verification,
                "job_id": None, "workspace_url": None, "access_token": None}
    assert job is not None
    if not job.job_id or not job.access_token:
        raise InvalidParameter("job_spec needs job_id and access_token.")
    if len(job.job_id) > MAX_JOB_ID_LENGTH:
        raise InvalidParameter(f"job_spec.job_id is longer than {MAX_JOB_ID_LENGTH} characters.")
    if job.workspace_url:
        check_target(ctx, job.workspace_url, "workspace URL")
    return {"url": None, "secret": None, "authorization": None, "enable_ssl_verification": True,
            "job_id": job.job_id, "workspace_url": job.workspace_url or None,
            "access_token": ctx.settings.secret_box.seal(job.access_token)}


def _events(events: list[str], model_name: str | None) -> list[str]:
    checked = check_events(events, DATABRICKS_EVENTS)
    if model_name is not None and REGISTRY_WIDE_ONLY.intersection(checked):
        raise InvalidParameter("REGISTERED_MODEL_CREATED is only valid for a registry-wide webhook (no model_name).")
    return checked


def create_webhook(ctx: Context, req: CreateRegistryWebhook) -> dict[str, Any]:
    model_name = req.model_name or None
    _require_manage(ctx, model_name)
    events = _events(req.events, model_name)
    status = check_choice(req.status or "ACTIVE", DATABRICKS_STATUSES, "status")
    check_description(req.description)
    now = now_ms()
    webhook_id = uuid.uuid4().hex
    store.insert_webhook(ctx.conn, {
        "id": webhook_id, "dialect": DIALECT, "name": None, "model_name": model_name,
        "events": orjson.dumps(events).decode(), "description": req.description or None, "status": status,
        "created_by": ctx.principal.name, "creation_timestamp": now, "last_updated_timestamp": now,
        **_spec_values(ctx, req.http_url_spec, req.job_spec),
    })
    ctx.record("webhook.created", {"id": webhook_id, "api": DIALECT, "model_name": model_name})
    return registry_webhook_json(store.get_webhook(ctx.conn, webhook_id))


def _owned(ctx: Context, webhook_id: str) -> Any:
    row = store.get_webhook(ctx.conn, webhook_id, DIALECT)
    _require_manage(ctx, row.model_name)
    return row


def list_webhooks(
    ctx: Context, model_name: str | None, events: list[str] | None, max_results: int | None, page_token: str | None
) -> dict[str, Any]:
    """Webhooks of one model (CAN_MANAGE on it) or, for admins, all of them; `events` keeps those
    subscribed to any of the events given."""
    validate_max_results(max_results, MAX_RESULTS)
    if model_name:
        authorized_model(ctx, model_name, authz.CAN_MANAGE)
    elif not ctx.principal.is_admin:
        raise PermissionDenied("Only workspace admins may list every webhook; give model_name to list a model's.")
    wanted = check_events(events, DATABRICKS_EVENTS) if events else None
    names: list[str | None] | None = [model_name] if model_name else None

    def fetch(offset: int, limit: int) -> list[Any]:
        return store.list_webhooks(ctx.conn, DIALECT, model_names=names, offset=offset, limit=limit,
                                   any_events=wanted)

    page = paginate(page_token, max_results or MAX_RESULTS, fetch)
    return page.map(lambda rows: [registry_webhook_json(r) for r in rows]).body("webhooks")


def update_webhook(ctx: Context, req: UpdateRegistryWebhook) -> dict[str, Any]:
    row = _owned(ctx, req.id)
    values: dict[str, Any] = {}
    if req.events is not None:
        values["events"] = orjson.dumps(_events(req.events, row.model_name)).decode()
    if req.description is not None:
        check_description(req.description)
        values["description"] = req.description or None
    if req.status is not None:
        values["status"] = check_choice(req.status, DATABRICKS_STATUSES, "status")
    if req.http_url_spec is not None or req.job_spec is not None:
        values.update(_spec_values(ctx, req.http_url_spec, req.job_spec))
    values["last_updated_timestamp"] = now_ms()
    store.update_webhook(ctx.conn, row.id, values)
    ctx.record("webhook.updated", {"id": row.id, "api": DIALECT})
    return registry_webhook_json(store.get_webhook(ctx.conn, row.id))


def delete_webhook(ctx: Context, webhook_id: str) -> None:
    row = _owned(ctx, webhook_id)
    store.delete_webhook(ctx.conn, row.id)
    ctx.record("webhook.deleted", {"id": row.id, "api": DIALECT})


def prepare_test(ctx: Context, webhook_id: str, event: str | None) -> Call:
    """The test call of a webhook (any status, TEST_MODE included), with an example payload of `event` or
    of the webhook's first event; sent by the caller once the transaction has ended."""
    row = _owned(ctx, webhook_id)
    subscribed = orjson.loads(row.events)
    chosen = check_choice(event, DATABRICKS_EVENTS, "event") if event else subscribed[0]
    example = {**DATABRICKS_EXAMPLE, "name": row.model_name or DATABRICKS_EXAMPLE["name"]}
    body = orjson.dumps(databricks_payload(chosen, row.id, now_ms(), example)).decode()
    return build_call(row, body, uuid.uuid4().hex, ctx.settings.base_url, ctx.settings.secret_box)
