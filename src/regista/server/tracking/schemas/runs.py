"""Request bodies and response shapes of the MLflow runs API (/api/2.0/mlflow/runs/...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
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


# Response shapes.


def run_info_json(row: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": row.run_uuid,
        "run_uuid": row.run_uuid,
        "run_name": row.name,
        "experiment_id": str(row.experiment_id),
        "user_id": row.user_id,
        "status": row.status,
        "start_time": row.start_time,
        "artifact_uri": row.artifact_uri,
        "lifecycle_stage": row.lifecycle_stage,
    }
    if row.end_time is not None:
        info["end_time"] = row.end_time
    return info


def dataset_input_json(text: str) -> dict[str, Any]:
    """A dataset input from the JSON object the database builds for it (stores/runs.py)."""
    fields = orjson.loads(text)
    dataset: dict[str, Any] = {
        "name": fields["name"],
        "digest": fields["digest"],
        "source_type": fields["source_type"],
        "source": fields["source"],
    }
    if fields["schema"] is not None:
        dataset["schema"] = fields["schema"]
    if fields["profile"] is not None:
        dataset["profile"] = fields["profile"]
    return {"tags": orjson.loads(fields["tags"] or "[]"), "dataset": dataset}


def run_json(
    row: Any,
    metrics: list[dict[str, Any]],
    params: list[dict[str, Any]],
    tags: list[dict[str, Any]],
    model_inputs: Sequence[tuple[int, str]],
    model_outputs: Sequence[tuple[int, str]],
    datasets: Sequence[tuple[int, str]],
) -> dict[str, Any]:
    """A full Run object; inputs and outputs arrive as sorted (position or step, id or dataset JSON) pairs."""
    return {
        "info": run_info_json(row),
        "data": {"metrics": metrics, "params": params, "tags": tags},
        "inputs": {
            "dataset_inputs": [dataset_input_json(d) for _, d in datasets],
            "model_inputs": [{"model_id": m} for _, m in model_inputs],
        },
        "outputs": {"model_outputs": [{"model_id": m, "step": s} for s, m in model_outputs]},
    }
