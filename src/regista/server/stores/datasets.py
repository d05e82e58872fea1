"""SQL for datasets (unique per experiment by name and digest)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_

from regista.server.db.models import Dataset
from regista.server.stores.bulk import BulkInsert

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
