"""SQL for what runs consume and produce: dataset inputs, model inputs and model outputs (they are read
with the rest of a Run by runs.details_for).

Statements are built once (cached factories with bind parameters) and executed with parameter dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from regista.server.db.bulk import BulkInsert
from regista.server.db.models import RunDatasetInput, RunModelInput, RunModelOutput

_INSERT_DATASET_INPUTS = BulkInsert(
    RunDatasetInput, ("run_uuid", "dataset_uuid", "tags", "position", "context"), "nothing"
)
_INSERT_MODEL_INPUTS = BulkInsert(RunModelInput, ("run_uuid", "model_id", "position"), "nothing")
_INSERT_MODEL_OUTPUTS = BulkInsert(RunModelOutput, ("run_uuid", "model_id", "step"), "nothing")


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
