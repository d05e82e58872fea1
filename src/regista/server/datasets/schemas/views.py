"""Wire shapes of evaluation datasets (mlflow.Dataset) and of their records (DatasetRecord.to_dict)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson


def _loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def dataset_json(row: Any, tags: Mapping[str, str], experiment_ids: Sequence[int]) -> dict[str, Any]:
    """A mlflow.Dataset message; tags is JSON text, and optional fields are left out when unset."""
    out: dict[str, Any] = {
        "dataset_id": row.dataset_id,
        "name": row.name,
        "digest": row.digest,
        "created_time": row.created_time,
        "last_update_time": row.last_update_time,
        "experiment_ids": [str(e) for e in experiment_ids],
    }
    if tags:
        out["tags"] = orjson.dumps(dict(tags)).decode()
    for field in ("schema", "profile", "created_by", "last_updated_by"):
        value = getattr(row, field)
        if value is not None:
            out[field] = value
    return out


def record_json(row: Any) -> dict[str, Any]:
    """One record as the client's DatasetRecord.from_dict reads it (JSON fields decoded)."""
    out: dict[str, Any] = {
        "dataset_record_id": row.dataset_record_id,
        "dataset_id": row.dataset_id,
        "inputs": orjson.loads(row.inputs),
        "created_time": row.created_time,
        "last_update_time": row.last_update_time,
    }
    for field in ("outputs", "expectations", "tags", "source"):
        value = getattr(row, field)
        if value is not None:
            out[field] = _loads(value)
    for field in ("source_id", "source_type", "created_by", "last_updated_by"):
        value = getattr(row, field)
        if value is not None:
            out[field] = value
    return out
