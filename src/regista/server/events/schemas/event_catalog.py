"""Which webhook events an outbox event is, in both APIs' vocabularies, and the bodies they are sent with
(Databricks' flat registry-webhook payload; MLflow's {entity, action, timestamp, data} envelope)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Databricks RegistryWebhookEvent values (databricks-sdk service/ml.py).
DATABRICKS_EVENTS = (
    "MODEL_VERSION_CREATED", "MODEL_VERSION_TRANSITIONED_STAGE", "TRANSITION_REQUEST_CREATED", "COMMENT_CREATED",
    "REGISTERED_MODEL_CREATED", "MODEL_VERSION_TAG_SET", "MODEL_VERSION_TRANSITIONED_TO_STAGING",
    "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION", "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED",
    "TRANSITION_REQUEST_TO_STAGING_CREATED", "TRANSITION_REQUEST_TO_PRODUCTION_CREATED",
    "TRANSITION_REQUEST_TO_ARCHIVED_CREATED",
)
REGISTRY_WIDE_ONLY = frozenset({"REGISTERED_MODEL_CREATED"})
DATABRICKS_STATUSES = ("ACTIVE", "TEST_MODE", "DISABLED")

# MLflow's entity.action events (mlflow/entities/webhook.py VALID_ENTITY_ACTIONS).
MLFLOW_EVENTS = (
    "registered_model.created", "model_version.created", "model_version_tag.set", "model_version_tag.deleted",
    "model_version_alias.created", "model_version_alias.deleted", "prompt.created", "prompt_version.created",
    "prompt_tag.set", "prompt_tag.deleted", "prompt_version_tag.set", "prompt_version_tag.deleted",
    "prompt_alias.created", "prompt_alias.deleted", "budget_policy.exceeded",
)
MLFLOW_STATUSES = ("ACTIVE", "DISABLED")

_IS_PROMPT = "mlflow.prompt.is_prompt"
_PROMPT_TYPE = "mlflow.prompt.type"
_PROMPT_TEXT = "mlflow.prompt.text"
_STAGES = ("Staging", "Production", "Archived")

# The outbox events any webhook or e-mail may be about; the dispatcher skips the others in bulk.
RELEVANT_OUTBOX_EVENTS = frozenset({
    "registered_model.created", "model_version.created", "model_version.transitioned",
    "transition_request.created", "comment.created", "model_version_tag.set", "model_version_tag.deleted",
    "model_version_alias.created", "model_version_alias.deleted", "registered_model_tag.set",
    "registered_model_tag.deleted",
})


def databricks_events(event_type: str, data: dict[str, Any]) -> list[str]:
    """The Databricks events an outbox event is (a stage event is also its per-stage variant)."""
    if event_type == "model_version.created":
        return ["MODEL_VERSION_CREATED"]
    if event_type == "model_version.transitioned":
        stage = data.get("to_stage")
        extra = [f"MODEL_VERSION_TRANSITIONED_TO_{stage.upper()}"] if stage in _STAGES else []
        return ["MODEL_VERSION_TRANSITIONED_STAGE", *extra]
    if event_type == "transition_request.created":
        stage = data.get("to_stage")
        extra = [f"TRANSITION_REQUEST_TO_{stage.upper()}_CREATED"] if stage in _STAGES else []
        return ["TRANSITION_REQUEST_CREATED", *extra]
    if event_type == "comment.created":
        return ["COMMENT_CREATED"]
    if event_type == "registered_model.created":
        return ["REGISTERED_MODEL_CREATED"]
    if event_type == "model_version_tag.set":
        return ["MODEL_VERSION_TAG_SET"]
    return []


def _text(event: str, name: str, version: str | None, data: dict[str, Any]) -> str:
    """The Slack-ready sentence of a Databricks payload."""
    where = f"registered model '{name}' version {version}"
    if event.startswith("MODEL_VERSION_TRANSITIONED"):
        return f"Registered model '{name}' version {version} transitioned from {data.get('from_stage')} to " \
               f"{data.get('to_stage')}."
    if event.startswith("TRANSITION_REQUEST"):
        return f"A user requested a transition of {where} from {data.get('from_stage')} to {data.get('to_stage')}."
    if event == "COMMENT_CREATED":
        return f"A user commented on {where}."
    if event == "MODEL_VERSION_TAG_SET":
        return f"A user set a tag on {where}."
    if event == "MODEL_VERSION_CREATED":
        return f"A new version {version} of registered model '{name}' was created."
    return f"Registered model '{name}' was created."


def databricks_payload(event: str, webhook_id: str, event_timestamp: int, data: dict[str, Any]) -> dict[str, Any]:
    """Databricks' flat payload: event, webhook_id, event_timestamp (ms), model_name, version, the event's own
    fields, and `text`. Minimal by design: no source or artifact paths."""
    name = str(data.get("name", ""))
    version = data.get("version")
    body: dict[str, Any] = {"event": event, "webhook_id": webhook_id, "event_timestamp": event_timestamp,
                            "model_name": name}
    if version is not None and event != "REGISTERED_MODEL_CREATED":
        body["version"] = str(version)
    if event.startswith(("MODEL_VERSION_TRANSITIONED", "TRANSITION_REQUEST")):
        body["to_stage"] = data.get("to_stage")
        body["from_stage"] = data.get("from_stage")
        if data.get("comment"):
            body["comment"] = data["comment"]
    elif event == "MODEL_VERSION_TAG_SET":
        body["tags"] = [{"key": data.get("key"), "value": data.get("value")}]
    elif event == "COMMENT_CREATED":
        body["comment"] = data.get("comment")
    body["text"] = _text(event, name, None if version is None else str(version), data)
    return body


def _is_prompt(tags: Any) -> bool:
    return isinstance(tags, dict) and str(tags.get(_IS_PROMPT, "")).lower() == "true"


def mlflow_events(event_type: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The MLflow events of an outbox event, each with its `data` (mlflow/webhooks/types.py)."""
    tags = data.get("tags") or {}
    if event_type == "registered_model.created":
        if _is_prompt(tags):
            kept = {k: v for k, v in tags.items() if k not in (_IS_PROMPT, _PROMPT_TYPE)}
            return [("prompt.created", {"name": data["name"], "tags": kept, "description": data.get("description")})]
        return [("registered_model.created",
                 {"name": data["name"], "tags": tags, "description": data.get("description")})]
    if event_type == "model_version.created":
        if _is_prompt(tags):
            kept = {k: v for k, v in tags.items() if k not in (_IS_PROMPT, _PROMPT_TYPE, _PROMPT_TEXT)}
            return [("prompt_version.created",
                     {"name": data["name"], "version": data["version"], "template": tags.get(_PROMPT_TEXT),
                      "tags": kept, "description": data.get("description") or None})]
        return [("model_version.created",
                 {"name": data["name"], "version": data["version"], "source": data.get("source"),
                  "run_id": data.get("run_id") or None, "tags": tags,
                  "description": data.get("description") or None})]
    # A prompt's tag, version-tag and alias changes are MLflow's prompt_* events (a plain model's tag
    # changes are no MLflow event at all), as the official server sends them.
    prompt = bool(data.get("prompt"))
    if event_type == "registered_model_tag.set" and prompt:
        return [("prompt_tag.set", {k: data.get(k) for k in ("name", "key", "value")})]
    if event_type == "registered_model_tag.deleted" and prompt:
        return [("prompt_tag.deleted", {k: data.get(k) for k in ("name", "key")})]
    kind = "prompt_version_tag" if prompt else "model_version_tag"
    if event_type == "model_version_tag.set":
        return [(f"{kind}.set", {k: data.get(k) for k in ("name", "version", "key", "value")})]
    if event_type == "model_version_tag.deleted":
        return [(f"{kind}.deleted", {k: data.get(k) for k in ("name", "version", "key")})]
    kind = "prompt_alias" if prompt else "model_version_alias"
    if event_type == "model_version_alias.created":
        return [(f"{kind}.created", {k: data.get(k) for k in ("name", "alias", "version")})]
    if event_type == "model_version_alias.deleted":
        return [(f"{kind}.deleted", {k: data.get(k) for k in ("name", "alias")})]
    return []


def mlflow_envelope(event: str, created_at_ms: int, data: dict[str, Any]) -> dict[str, Any]:
    """MLflow's body: {entity, action, timestamp (ISO 8601, UTC), data}."""
    entity, action = event.split(".", 1)
    stamp = datetime.fromtimestamp(created_at_ms / 1000, UTC).isoformat()
    return {"entity": entity, "action": action, "timestamp": stamp, "data": data}


# Example data for MLflow's test endpoint (the shapes of mlflow/webhooks/types.py's examples).
MLFLOW_EXAMPLES: dict[str, dict[str, Any]] = {
    "registered_model.created": {"name": "example_model", "tags": {"example_key": "example_value"},
                                 "description": "An example registered model"},
    "model_version.created": {"name": "example_model", "version": "1", "source": "models:/123",
                              "run_id": "abcd1234abcd5678", "tags": {"example_key": "example_value"},
                              "description": "An example model version"},
    "model_version_tag.set": {"name": "example_model", "version": "1", "key": "example_key",
                              "value": "example_value"},
    "model_version_tag.deleted": {"name": "example_model", "version": "1", "key": "example_key"},
    "model_version_alias.created": {"name": "example_model", "alias": "example_alias", "version": "1"},
    "model_version_alias.deleted": {"name": "example_model", "alias": "example_alias"},
    "prompt.created": {"name": "example_prompt", "tags": {"example_key": "example_value"},
                       "description": "An example prompt"},
    "prompt_version.created": {"name": "example_prompt", "version": "1", "template": "Hello {{name}}!",
                               "tags": {"example_key": "example_value"}, "description": "An example prompt version"},
    "prompt_tag.set": {"name": "example_prompt", "key": "example_key", "value": "example_value"},
    "prompt_tag.deleted": {"name": "example_prompt", "key": "example_key"},
    "prompt_version_tag.set": {"name": "example_prompt", "version": "1", "key": "example_key",
                               "value": "example_value"},
    "prompt_version_tag.deleted": {"name": "example_prompt", "version": "1", "key": "example_key"},
    "prompt_alias.created": {"name": "example_prompt", "alias": "example_alias", "version": "1"},
    "prompt_alias.deleted": {"name": "example_prompt", "alias": "example_alias"},
    "budget_policy.exceeded": {"budget_policy_id": "bp-example", "budget_unit": "USD", "budget_amount": 100.0,
                               "current_spend": 120.0, "duration_unit": "MONTHS", "duration_value": 1,
                               "target_scope": "GLOBAL", "workspace": "default", "target_value": None,
                               "window_start": 0},
}

# Example data for the Databricks test endpoint.
DATABRICKS_EXAMPLE = {"name": "someModel", "version": "8", "from_stage": "None", "to_stage": "Production",
                      "comment": "This is a test.", "key": "someKey", "value": "someValue"}
