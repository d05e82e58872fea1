"""Prompts in the registry: MLflow keeps a prompt as a registered model tagged `mlflow.prompt.is_prompt`,
and its tag, version-tag and alias changes are MLflow's prompt_* webhook events instead of the model ones."""

from __future__ import annotations

from typing import Any

from regista.server.context import Context
from regista.server.registry.stores import registry_tags as tag_store

IS_PROMPT_TAG = "mlflow.prompt.is_prompt"


def is_prompt(ctx: Context, rm_id: int) -> bool:
    value = tag_store.registered_model_tag_value(ctx.conn, rm_id, IS_PROMPT_TAG)
    return value is not None and value.lower() == "true"


def event_data(ctx: Context, rm_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """An outbox event's data, marked `"prompt": true` when the model is a prompt (the dispatcher turns
    it into the prompt_* event)."""
    return {**data, "prompt": True} if is_prompt(ctx, rm_id) else data
