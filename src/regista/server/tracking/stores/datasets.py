"""SQL for datasets (unique per experiment by name and digest) and the summaries the web UI lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_

from regista.server.db.bulk import BulkInsert
from regista.server.db.models import Dataset, RunDatasetInput

_COLUMNS = ("dataset_uuid", "experiment_id", "name", "digest", "source_type", "source", "schema", "profile")
_INSERT_DATASETS = BulkInsert(Dataset, _COLUMNS, "nothing")


@cache
def _select_uuids() -> Any:
    return select(Dataset.name, Dataset.digest, Dataset.dataset_uuid).where(
        Dataset.experiment_id == bindparam("experiment_id"),
        tuple_(Dataset.name, Dataset.digest).in_(bindparam("keys", expanding=True)),
    )


def ensure_datasets(
    conn: Connection, experiment_id: int, datasets: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], str]:
    """Insert the datasets not yet known in the experiment; map (name, digest) -> dataset_uuid for all.

    Each dict holds name, digest, source_type, source and optionally schema and profile."""
    if not datasets:
        return {}
    unique = {(d["name"], d["digest"]): d for d in datasets}
    rows = [
        (
            uuid.uuid4().hex,
            experiment_id,
            d["name"],
            d["digest"],
            d["source_type"],
            d["source"],
            d.get("schema"),
            d.get("profile"),
        )
        for d in unique.values()
    ]
    _INSERT_DATASETS.execute(conn, rows)
    found = conn.execute(_select_uuids(), {"experiment_id": experiment_id, "keys": list(unique)})
    return {(n, d): u for n, d, u in found}


MAX_DATASET_SUMMARIES = 1000


@cache
def _dataset_summaries() -> Any:
    return (
        select(Dataset.experiment_id, Dataset.name, Dataset.digest, RunDatasetInput.context)
        .join(RunDatasetInput, RunDatasetInput.dataset_uuid == Dataset.dataset_uuid)
        .where(Dataset.experiment_id.in_(bindparam("experiment_ids", expanding=True)))
        .distinct()
        .order_by(Dataset.experiment_id, Dataset.name, Dataset.digest, RunDatasetInput.context)
        .limit(MAX_DATASET_SUMMARIES)
    )


def dataset_summaries(conn: Connection, experiment_ids: Sequence[int]) -> list[Any]:
    """Distinct (experiment_id, name, digest, context) of the datasets runs of these experiments used."""
    return list(conn.execute(_dataset_summaries(), {"experiment_ids": list(experiment_ids)}))
