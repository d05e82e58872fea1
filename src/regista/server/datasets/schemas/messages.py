"""Request bodies of the evaluation datasets API (mlflow.CreateDataset, SearchEvaluationDatasets, ...).

Tags and records travel as JSON text inside the message, as MLflow's protos define them."""

from __future__ import annotations

from regista.schemas.base import Message
from regista.schemas.numbers import Int32


class CreateDataset(Message):
    name: str | None = None
    experiment_ids: list[str] = []
    tags: str | None = None


class SearchEvaluationDatasets(Message):
    experiment_ids: list[str] = []
    filter_string: str | None = None
    max_results: Int32 | None = None
    order_by: list[str] = []
    page_token: str | None = None


class SetDatasetTags(Message):
    tags: str | None = None


class UpsertDatasetRecords(Message):
    records: str | None = None
    updated_by: str | None = None


class GetDatasetRecords(Message):
    max_results: Int32 | None = None
    page_token: str | None = None


class DeleteDatasetRecords(Message):
    dataset_record_ids: list[str] = []


class DatasetExperiments(Message):
    """AddDatasetToExperiments and RemoveDatasetFromExperiments."""

    experiment_ids: list[str] = []
