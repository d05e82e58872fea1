"""Request bodies and response shapes of the MLflow 3 logged-models API (/api/2.0/mlflow/logged-models...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32
from regista.server.tracking.schemas.metrics import metric_value_json


class CreateLoggedModel(Message):
    experiment_id: str | None = None
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class GetLoggedModel(Message):
    allow_deleted: bool = False


class FinalizeLoggedModel(Message):
    model_id: str | None = None
    status: str | Int32 | None = None


class SetLoggedModelTags(Message):
    model_id: str | None = None
    tags: list[KeyValue] = []


class LogLoggedModelParams(Message):
    model_id: str | None = None
    params: list[KeyValue] = []


class DatasetRef(Message):
    dataset_name: str | None = None
    dataset_digest: str | None = None


class OrderByField(Message):
    field_name: str | None = None
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None


class SearchLoggedModels(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    datasets: list[DatasetRef] = []
    max_results: Int32 | None = None
    order_by: list[OrderByField] = []
    page_token: str | None = None


class ListLoggedModelArtifacts(Message):
    artifact_directory_path: str | None = None


# Response shapes.


def logged_model_json(
    r: Any, params: Sequence[Any], tags: Sequence[Any], metrics: Sequence[Any]
) -> dict[str, Any]:
    """A LoggedModel object from its row and its (model_id, key, value, ...) param, tag and metric rows."""
    info: dict[str, Any] = {
        "model_id": r.model_id,
        "experiment_id": str(r.experiment_id),
        "name": r.name,
        "creation_timestamp_ms": r.creation_timestamp_ms,
        "last_updated_timestamp_ms": r.last_updated_timestamp_ms,
        "artifact_uri": r.artifact_location,
        "status": r.status,
        "tags": [{"key": t[1], "value": t[2]} for t in tags],
    }
    for field in ("model_type", "source_run_id", "status_message"):
        if getattr(r, field):
            info[field] = getattr(r, field)
    metric_list = []
    for m in metrics:
        entry: dict[str, Any] = {
            "key": m[1],
            "value": metric_value_json(m[2], m[3]),
            "timestamp": m[4],
            "step": m[5],
            "run_id": m[6],
            "model_id": r.model_id,
        }
        if m[7]:
            entry["dataset_name"] = m[7]
        if m[8]:
            entry["dataset_digest"] = m[8]
        metric_list.append(entry)
    return {
        "info": info,
        "data": {"params": [{"key": p[1], "value": p[2]} for p in params], "metrics": metric_list},
    }
