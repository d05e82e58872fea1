"""Request bodies of the MLflow experiments API (/api/2.0/mlflow/experiments/...)."""

from __future__ import annotations

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
