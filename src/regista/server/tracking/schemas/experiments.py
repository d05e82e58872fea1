"""Request bodies and response shapes of the MLflow experiments API (/api/2.0/mlflow/experiments/...)."""

from __future__ import annotations

from typing import Any

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32


class CreateExperiment(Message):
    name: str | None = None
    artifact_location: str | None = None
    tags: list[KeyValue] = []


class GetExperiment(Message):
    experiment_id: str | None = None


class GetExperimentByName(Message):
    experiment_name: str | None = None


class SearchExperiments(Message):
    max_results: Int32 | None = None
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: str | Int32 | None = None


class ExperimentRef(Message):
    """Body of delete / restore."""

    experiment_id: str | None = None


class UpdateExperiment(Message):
    experiment_id: str | None = None
    new_name: str | None = None


class SetExperimentTag(Message):
    experiment_id: str | None = None
    key: str | None = None
    value: str | None = None


class DeleteExperimentTag(Message):
    experiment_id: str | None = None
    key: str | None = None


class SearchDatasets(Message):
    experiment_ids: list[str] = []


def experiment_json(row: Any, tags: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "experiment_id": str(row.experiment_id),
        "name": row.name,
        "artifact_location": row.artifact_location,
        "lifecycle_stage": row.lifecycle_stage,
        "last_update_time": row.last_update_time,
        "creation_time": row.creation_time,
        "tags": [{"key": k, "value": v} for k, v in tags],
    }
