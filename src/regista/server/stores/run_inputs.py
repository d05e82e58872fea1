"""SQL for what runs consume and produce: dataset inputs, model inputs and model outputs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from regista.server.db.models import Dataset, RunDatasetInput, RunModelInput, RunModelOutput
from regista.server.stores.dialect import insert_ignore


def _next_position(conn: Connection, table: Any, run_id: str) -> int:
    current = conn.execute(select(func.max(table.position)).where(table.run_uuid == run_id)).scalar()
    return 0 if current is None else int(current) + 1


def add_dataset_inputs(conn: Connection, run_id: str, inputs: Sequence[tuple[str, str, str | None]]) -> None:
    """(dataset_uuid, tags JSON, context) triples; an input already linked to the run keeps its first tags."""
    if not inputs:
        return
    start = _next_position(conn, RunDatasetInput, run_id)
    rows = [
        {"run_uuid": run_id, "dataset_uuid": uid, "tags": tags, "context": context, "position": start + i}
        for i, (uid, tags, context) in enumerate(inputs)
    ]
    conn.execute(insert_ignore(conn, RunDatasetInput), rows)


def add_model_inputs(conn: Connection, run_id: str, model_ids: Sequence[str]) -> None:
    if not model_ids:
        return
    start = _next_position(conn, RunModelInput, run_id)
    rows = [{"run_uuid": run_id, "model_id": m, "position": start + i} for i, m in enumerate(model_ids)]
    conn.execute(insert_ignore(conn, RunModelInput), rows)


def add_model_outputs(conn: Connection, run_id: str, outputs: Sequence[tuple[str, int]]) -> None:
    if outputs:
        rows = [{"run_uuid": run_id, "model_id": m, "step": s} for m, s in dict(outputs).items()]
        conn.execute(insert_ignore(conn, RunModelOutput), rows)


def dataset_inputs_for(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[Any]]:
    """(run_uuid, tags, name, digest, source_type, source, schema, profile) rows, in logging order."""
    out: dict[str, list[Any]] = defaultdict(list)
    if not run_ids:
        return out
    rows = conn.execute(
        select(
            RunDatasetInput.run_uuid,
            RunDatasetInput.tags,
            Dataset.name,
            Dataset.digest,
            Dataset.source_type,
            Dataset.source,
            Dataset.schema,
            Dataset.profile,
        )
        .join(Dataset, Dataset.dataset_uuid == RunDatasetInput.dataset_uuid)
        .where(RunDatasetInput.run_uuid.in_(list(run_ids)))
        .order_by(RunDatasetInput.run_uuid, RunDatasetInput.position)
    )
    for row in rows:
        out[row[0]].append(row)
    return out


def model_io_for(
    conn: Connection, run_ids: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, int]]]]:
    """Model inputs and model outputs of many runs (two queries)."""
    inputs: dict[str, list[str]] = defaultdict(list)
    outputs: dict[str, list[tuple[str, int]]] = defaultdict(list)
    if not run_ids:
        return inputs, outputs
    ids = list(run_ids)
    for run_uuid, model_id in conn.execute(
        select(RunModelInput.run_uuid, RunModelInput.model_id)
        .where(RunModelInput.run_uuid.in_(ids))
        .order_by(RunModelInput.run_uuid, RunModelInput.position)
    ):
        inputs[run_uuid].append(model_id)
    for run_uuid, model_id, step in conn.execute(
        select(RunModelOutput.run_uuid, RunModelOutput.model_id, RunModelOutput.step)
        .where(RunModelOutput.run_uuid.in_(ids))
        .order_by(RunModelOutput.run_uuid, RunModelOutput.step, RunModelOutput.model_id)
    ):
        outputs[run_uuid].append((model_id, step))
    return inputs, outputs
