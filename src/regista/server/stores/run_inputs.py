"""SQL for what runs consume and produce: dataset inputs, model inputs and model outputs (the reads of
model inputs and outputs are part of runs.details_for).

Statements are built once (cached factories with bind parameters) and executed with parameter dicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from regista.server.db.models import Dataset, RunDatasetInput, RunModelInput, RunModelOutput
from regista.server.stores.bulk import BulkInsert

_INSERT_DATASET_INPUTS = BulkInsert(
    RunDatasetInput, ("run_uuid", "dataset_uuid", "tags", "position", "context"), "nothing"
)
_INSERT_MODEL_INPUTS = BulkInsert(RunModelInput, ("run_uuid", "model_id", "position"), "nothing")
_INSERT_MODEL_OUTPUTS = BulkInsert(RunModelOutput, ("run_uuid", "model_id", "step"), "nothing")


def _match(column: Any, single: bool) -> Any:
    return column == bindparam("run_id") if single else column.in_(bindparam("ids", expanding=True))


def _params(run_ids: Sequence[str]) -> tuple[bool, dict[str, Any]]:
    if len(run_ids) == 1:
        return True, {"run_id": run_ids[0]}
    return False, {"ids": list(run_ids)}


@cache
def _max_position(table: Any) -> Any:
    return select(func.max(table.position)).where(table.run_uuid == bindparam("run_id"))


def _next_position(conn: Connection, table: Any, run_id: str) -> int:
    current = conn.execute(_max_position(table), {"run_id": run_id}).scalar()
    return 0 if current is None else int(current) + 1


def add_dataset_inputs(conn: Connection, run_id: str, inputs: Sequence[tuple[str, str, str | None]]) -> None:
    """(dataset_uuid, tags JSON, context) triples; an input already linked to the run keeps its first tags."""
    if not inputs:
        return
    start = _next_position(conn, RunDatasetInput, run_id)
    _INSERT_DATASET_INPUTS.execute(
        conn, [(run_id, uid, tags, start + i, context) for i, (uid, tags, context) in enumerate(inputs)]
    )


def add_model_inputs(conn: Connection, run_id: str, model_ids: Sequence[str]) -> None:
    if not model_ids:
        return
    start = _next_position(conn, RunModelInput, run_id)
    _INSERT_MODEL_INPUTS.execute(conn, [(run_id, m, start + i) for i, m in enumerate(model_ids)])


def add_model_outputs(conn: Connection, run_id: str, outputs: Sequence[tuple[str, int]]) -> None:
    if outputs:
        _INSERT_MODEL_OUTPUTS.execute(conn, [(run_id, m, s) for m, s in dict(outputs).items()])


@cache
def _select_dataset_inputs(single: bool) -> Any:
    return (
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
        .where(_match(RunDatasetInput.run_uuid, single))
        .order_by(RunDatasetInput.run_uuid, RunDatasetInput.position)
    )


def dataset_inputs_for(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[Any]]:
    """(run_uuid, tags, name, digest, source_type, source, schema, profile) rows, in logging order."""
    out: dict[str, list[Any]] = defaultdict(list)
    if not run_ids:
        return out
    single, params = _params(run_ids)
    for row in conn.execute(_select_dataset_inputs(single), params).tuples():
        out[row[0]].append(row)
    return out
