"""SQL for datasets (unique per experiment by name and digest)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from regista.server.db.models import Dataset
from regista.server.stores.dialect import insert_ignore


def ensure_datasets(
    conn: Connection, experiment_id: int, datasets: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], str]:
    """Insert the datasets not yet known in the experiment; map (name, digest) -> dataset_uuid for all."""
    if not datasets:
        return {}
    rows = [
        {"dataset_uuid": uuid.uuid4().hex, "experiment_id": experiment_id, **d}
        for d in {(d["name"], d["digest"]): d for d in datasets}.values()
    ]
    conn.execute(insert_ignore(conn, Dataset), rows)
    found = conn.execute(
        select(Dataset.name, Dataset.digest, Dataset.dataset_uuid).where(
            Dataset.experiment_id == experiment_id,
            or_(*(and_(Dataset.name == r["name"], Dataset.digest == r["digest"]) for r in rows)),
        )
    )
    return {(n, d): u for n, d, u in found}
