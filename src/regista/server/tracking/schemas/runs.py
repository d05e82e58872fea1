"""Request bodies of the MLflow runs API (/api/2.0/mlflow/runs/...)."""

from __future__ import annotations

from pydantic import Field

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32, Int64
from regista.server.tracking.schemas.metrics import MetricIn


class RunRef(Message):
    """Any body that names one run; the client sends the legacy run_uuid beside run_id."""

    run_id: str | None = None
    run_uuid: str | None = None

    @property
    def id(self) -> str | None:
        return self.run_id or self.run_uuid


class CreateRun(Message):
    experiment_id: str | None = None
    user_id: str | None = None
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class UpdateRun(RunRef):
    status: str | Int32 | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class LogParam(RunRef):
    key: str | None = None
    value: str | None = None


class SetTag(RunRef):
    key: str | None = None
    value: str | None = None


class DeleteTag(RunRef):
    key: str | None = None


class LogMetric(RunRef, MetricIn):
    pass


class LogBatch(RunRef):
    metrics: list[MetricIn] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class DatasetIn(Message):
    name: str | None = None
    digest: str | None = None
    source_type: str | None = None
    source: str | None = None
    schema_: str | None = Field(None, alias="schema")
    profile: str | None = None


class DatasetInputIn(Message):
    tags: list[KeyValue] = []
    dataset: DatasetIn | None = None


class ModelInputIn(Message):
    model_id: str | None = None


class ModelOutputIn(Message):
    model_id: str | None = None
    step: Int64 = 0


class LogInputs(RunRef):
    datasets: list[DatasetInputIn] = []
    models: list[ModelInputIn] = []


class LogOutputs(RunRef):
    models: list[ModelOutputIn] = []


class SearchRuns(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    run_view_type: str | Int32 | None = None
    max_results: Int32 | None = None
    order_by: list[str] = []
    page_token: str | None = None


class CreatePromptlabRun(Message):
    """The prompt-engineering UI's run (/ajax-api/2.0/mlflow/runs/create-promptlab-run)."""

    experiment_id: str | None = None
    run_name: str | None = None
    tags: list[KeyValue] = []
    prompt_template: str | None = None
    prompt_parameters: list[KeyValue] = []
    model_route: str | None = None
    model_parameters: list[KeyValue] = []
    model_input: str | None = None
    model_output: str | None = None
    model_output_parameters: list[KeyValue] = []
    mlflow_version: str | None = None
    user_id: str | None = None
    start_time: Int64 | None = None
