"""Request bodies and response shapes of the MLflow model-version endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32


class CreateModelVersion(Message):
    name: str
    source: str
    run_id: str | None = None
    tags: list[KeyValue] = []
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None


class ModelVersionRef(Message):
    """name + version: get, delete and get-download-uri."""

    name: str
    version: str


class UpdateModelVersion(Message):
    name: str
    version: str
    description: str | None = None


class TransitionModelVersionStage(Message):
    name: str
    version: str
    stage: str
    archive_existing_versions: bool = False


class SearchModelVersions(Message):
    filter: str | None = None
    max_results: Int32 = 10000
    order_by: list[str] = []
    page_token: str | None = None


class SetModelVersionTag(Message):
    name: str
    version: str
    key: str
    value: str


class DeleteModelVersionTag(Message):
    name: str
    version: str
    key: str


# Columns copied to the wire as-is when set (wire name -> row attribute).
_OPTIONAL = (
    ("user_id", "user_id"),
    ("description", "description"),
    ("run_id", "run_id"),
    ("status_message", "status_message"),
    ("run_link", "run_link"),
    ("model_id", "model_id"),
)


def model_version_json(
    row: Any,
    name: str,
    tags: Mapping[str, str | None] | None = None,
    aliases: Iterable[str] = (),
) -> dict[str, Any]:
    """The wire `ModelVersion`: version is a string and status is always sent (the client polls until
    it reads READY); other unset fields are omitted because protobuf JSON parsing rejects null."""
    out: dict[str, Any] = {
        "name": name,
        "version": str(row.version),
        "creation_timestamp": row.creation_time,
        "last_updated_timestamp": row.last_updated_time,
        "current_stage": row.current_stage,
        "source": row.source,
        "status": row.status,
    }
    for wire, attr in _OPTIONAL:
        value = getattr(row, attr)
        if value is not None:
            out[wire] = value
    if tags:
        out["tags"] = [{"key": k, "value": v} if v is not None else {"key": k} for k, v in tags.items()]
    alias_list = list(aliases)
    if alias_list:
        out["aliases"] = alias_list
    return out
