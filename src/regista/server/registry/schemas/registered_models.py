"""Request bodies and response shapes of the MLflow registered-model (and alias) endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32


class CreateRegisteredModel(Message):
    name: str
    tags: list[KeyValue] = []
    description: str | None = None


class GetRegisteredModel(Message):
    name: str


class RenameRegisteredModel(Message):
    name: str
    new_name: str | None = None


class UpdateRegisteredModel(Message):
    name: str
    description: str | None = None


class DeleteRegisteredModel(Message):
    name: str


class SearchRegisteredModels(Message):
    filter: str | None = None
    max_results: Int32 = 100
    order_by: list[str] = []
    page_token: str | None = None


class GetLatestVersions(Message):
    name: str
    stages: list[str] = []


class SetRegisteredModelTag(Message):
    name: str
    key: str
    value: str


class DeleteRegisteredModelTag(Message):
    name: str
    key: str


class SetRegisteredModelAlias(Message):
    name: str
    alias: str
    version: str


class DeleteRegisteredModelAlias(Message):
    name: str
    alias: str


class GetModelVersionByAlias(Message):
    name: str
    alias: str


def registered_model_json(
    row: Any,
    latest_versions: Iterable[dict[str, Any]] = (),
    tags: Mapping[str, str | None] | None = None,
    aliases: Iterable[tuple[str, int]] = (),
) -> dict[str, Any]:
    """The wire `RegisteredModel`; unset fields are omitted (protobuf JSON never carries null)."""
    out: dict[str, Any] = {
        "name": row.name,
        "creation_timestamp": row.creation_time,
        "last_updated_timestamp": row.last_updated_time,
    }
    if row.user_id is not None:
        out["user_id"] = row.user_id
    if row.description is not None:
        out["description"] = row.description
    latest = list(latest_versions)
    if latest:
        out["latest_versions"] = latest
    if tags:
        out["tags"] = [_tag(k, v) for k, v in tags.items()]
    alias_list = [{"alias": a, "version": str(v)} for a, v in aliases]
    if alias_list:
        out["aliases"] = alias_list
    return out


def _tag(key: str, value: str | None) -> dict[str, str]:
    return {"key": key, "value": value} if value is not None else {"key": key}
