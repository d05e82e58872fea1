"""Request messages and response shapes of both webhook APIs: Databricks registry webhooks (databricks-sdk
service/ml.py) and MLflow webhooks (mlflow/protos/webhooks.proto, as the mlflow client sends them)."""

from __future__ import annotations

from typing import Any

import orjson

from regista.schemas.base import Message
from regista.schemas.numbers import Int32

# ---- Databricks ----


class HttpUrlSpec(Message):
    url: str
    secret: str | None = None
    authorization: str | None = None
    enable_ssl_verification: bool | None = None


class JobSpec(Message):
    job_id: str
    access_token: str
    workspace_url: str | None = None


class CreateRegistryWebhook(Message):
    events: list[str]
    model_name: str | None = None
    description: str | None = None
    status: str | None = None
    http_url_spec: HttpUrlSpec | None = None
    job_spec: JobSpec | None = None


class ListRegistryWebhooks(Message):
    model_name: str | None = None
    events: list[str] | None = None
    max_results: Int32 | None = None
    page_token: str | None = None


class UpdateRegistryWebhook(Message):
    id: str
    events: list[str] | None = None
    description: str | None = None
    status: str | None = None
    http_url_spec: HttpUrlSpec | None = None
    job_spec: JobSpec | None = None


class RegistryWebhookRef(Message):
    id: str


class TestRegistryWebhook(Message):
    id: str
    event: str | None = None


def registry_webhook_json(row: Any) -> dict[str, Any]:
    """A RegistryWebhook: secrets, the authorization value and the job's access token are never shown."""
    out: dict[str, Any] = {
        "id": row.id, "events": orjson.loads(row.events), "status": row.status,
        "creation_timestamp": row.creation_timestamp, "last_updated_timestamp": row.last_updated_timestamp,
    }
    if row.description:
        out["description"] = row.description
    if row.model_name is not None:
        out["model_name"] = row.model_name
    if row.job_id is not None:
        out["job_spec"] = {"job_id": row.job_id, **({"workspace_url": row.workspace_url} if row.workspace_url else {})}
    else:
        out["http_url_spec"] = {"url": row.url, "enable_ssl_verification": bool(row.enable_ssl_verification)}
    return out


# ---- MLflow ----


class WebhookEventMessage(Message):
    entity: str
    action: str


class CreateWebhook(Message):
    name: str
    url: str
    events: list[WebhookEventMessage]
    description: str | None = None
    secret: str | None = None
    status: str | None = None


class ListWebhooks(Message):
    max_results: Int32 | None = None
    page_token: str | None = None


class UpdateWebhook(Message):
    name: str | None = None
    description: str | None = None
    url: str | None = None
    events: list[WebhookEventMessage] | None = None
    secret: str | None = None
    status: str | None = None


class TestWebhook(Message):
    event: WebhookEventMessage | None = None


def event_name(event: WebhookEventMessage) -> str:
    """`entity.action` from the proto enum names (REGISTERED_MODEL / CREATED -> registered_model.created)."""
    return f"{event.entity.lower()}.{event.action.lower()}"


def webhook_json(row: Any) -> dict[str, Any]:
    """An MLflow Webhook (the secret is never shown)."""
    events = []
    for name in orjson.loads(row.events):
        entity, action = name.split(".", 1)
        events.append({"entity": entity.upper(), "action": action.upper()})
    out: dict[str, Any] = {
        "webhook_id": row.id, "name": row.name, "url": row.url, "events": events, "status": row.status,
        "creation_timestamp": row.creation_timestamp, "last_updated_timestamp": row.last_updated_timestamp,
    }
    if row.description:
        out["description"] = row.description
    return out
