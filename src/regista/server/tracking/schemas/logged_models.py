"""Request bodies of the MLflow 3 logged-models API (/api/2.0/mlflow/logged-models...)."""

from __future__ import annotations

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32


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
