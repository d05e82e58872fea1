"""What runs consume and produce: dataset inputs (log_input), model inputs and model outputs; the summary
of datasets an experiment's runs used (the web UI's search-datasets, CAN_READ on each experiment)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from regista.errors import InvalidParameter
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_READ
from regista.server.tracking.schemas.runs import DatasetInputIn, ModelInputIn, ModelOutputIn
from regista.server.tracking.services.runs import active_run
from regista.server.tracking.services.tracking_validation import (
    MAX_DATASET_DIGEST_SIZE,
    MAX_DATASET_NAME_SIZE,
    MAX_DATASET_SCHEMA_SIZE,
    MAX_DATASET_SOURCE_SIZE,
    MAX_INPUT_TAG_KEY_SIZE,
    MAX_INPUT_TAG_VALUE_SIZE,
    parse_experiment_id,
)
from regista.server.tracking.stores import datasets as datasets_store
from regista.server.tracking.stores import run_inputs as store
from regista.server.validation import validate_length

MAX_DATASETS_PER_BATCH = 1000
CONTEXT_TAG = "mlflow.data.context"


def _validate_dataset_input(i: int, item: DatasetInputIn) -> None:
    d = item.dataset
    if d is None:
        raise InvalidParameter(f"Missing value for required parameter 'datasets[{i}].dataset'.")
    for field in ("name", "digest", "source_type", "source"):
        if not getattr(d, field):
            raise InvalidParameter(f"Missing value for required parameter 'datasets[{i}].dataset.{field}'.")
    validate_length("Dataset name", MAX_DATASET_NAME_SIZE, d.name)
    validate_length("Dataset digest", MAX_DATASET_DIGEST_SIZE, d.digest)
    validate_length("Dataset source", MAX_DATASET_SOURCE_SIZE, d.source)
    validate_length("Dataset schema", MAX_DATASET_SCHEMA_SIZE, d.schema_)
    for tag in item.tags:
        if not tag.key:
            raise InvalidParameter(f"Missing value for required parameter 'datasets[{i}].tags.key'.")
        validate_length("Input tag key", MAX_INPUT_TAG_KEY_SIZE, tag.key)
        validate_length("Input tag value", MAX_INPUT_TAG_VALUE_SIZE, tag.value)


def log_inputs(
    ctx: Context, run_id: str | None, datasets: Sequence[DatasetInputIn], models: Sequence[ModelInputIn]
) -> None:
    """Record datasets (deduplicated per experiment by name and digest) and models a run used."""
    if len(datasets) > MAX_DATASETS_PER_BATCH:
        raise InvalidParameter(
            f"A batch logging request can contain at most {MAX_DATASETS_PER_BATCH} datasets. "
            f"Got {len(datasets)} datasets."
        )
    for i, item in enumerate(datasets):
        _validate_dataset_input(i, item)
    model_ids = [m.model_id for m in models if m.model_id]
    if len(model_ids) != len(models):
        raise InvalidParameter("Missing value for required parameter 'models.model_id'.")
    run = active_run(ctx, run_id)
    specs: list[dict[str, Any]] = [
        {
            "name": d.name,
            "digest": d.digest,
            "source_type": d.source_type,
            "source": d.source,
            "schema": d.schema_,
            "profile": d.profile,
        }
        for item in datasets
        if (d := item.dataset) is not None  # always: _validate_dataset_input refused a missing one
    ]
    uuids = datasets_store.ensure_datasets(ctx.conn, run.experiment_id, specs)
    links: dict[str, tuple[str, str, str | None]] = {}
    for item, spec in zip(datasets, specs, strict=False):
        uid = uuids[(spec["name"], spec["digest"])]
        tags = orjson.dumps([{"key": t.key, "value": t.value} for t in item.tags]).decode()
        context = next((t.value for t in item.tags if t.key == CONTEXT_TAG), None)
        links.setdefault(uid, (uid, tags, context))
    store.add_dataset_inputs(ctx.conn, run.run_uuid, list(links.values()))
    store.add_model_inputs(ctx.conn, run.run_uuid, list(dict.fromkeys(model_ids)))
    ctx.record(
        "run.inputs_logged",
        {"run_id": run.run_uuid, "datasets": [s["name"] for s in specs], "models": model_ids},
    )


def log_outputs(ctx: Context, run_id: str | None, models: Sequence[ModelOutputIn]) -> None:
    """Record models a run produced (log_model sends one with its step)."""
    if any(not m.model_id for m in models):
        raise InvalidParameter("Missing value for required parameter 'models.model_id'.")
    run = active_run(ctx, run_id)
    store.add_model_outputs(ctx.conn, run.run_uuid, [(str(m.model_id), m.step) for m in models])
    ctx.record("run.outputs_logged", {"run_id": run.run_uuid, "models": [m.model_id for m in models]})


MAX_SEARCH_DATASETS_EXPERIMENTS = 20


def search_datasets(ctx: Context, experiment_ids: Sequence[str]) -> list[dict[str, str]]:
    """Summaries (experiment, name, digest, context) of the datasets used by runs of up to 20
    experiments, each of which the caller must be able to read."""
    if not experiment_ids:
        raise InvalidParameter("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_SEARCH_DATASETS_EXPERIMENTS:
        raise InvalidParameter(
            f"SearchDatasets request cannot specify more than {MAX_SEARCH_DATASETS_EXPERIMENTS} experiment_ids. "
            f"Received {len(experiment_ids)} experiment_ids."
        )
    ids = sorted({parse_experiment_id(e, "experiment_ids") for e in experiment_ids})
    for experiment_id in ids:
        authz.require_experiment_level(ctx, experiment_id, CAN_READ, str(experiment_id))
    out = []
    for row in datasets_store.dataset_summaries(ctx.conn, ids):
        summary = {"experiment_id": str(row.experiment_id), "name": row.name, "digest": row.digest}
        if row.context is not None:
            summary["context"] = row.context
        out.append(summary)
    return out
