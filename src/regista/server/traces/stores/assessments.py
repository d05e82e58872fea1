"""SQL for assessments (feedback and expectations) attached to traces."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import Assessment


def not_found(trace_id: str, assessment_id: str) -> NotFound:
    return NotFound(f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'")


def get(conn: Connection, trace_id: str, assessment_id: str) -> Any:
    row = conn.execute(select(Assessment).where(Assessment.assessment_id == assessment_id,
                                                Assessment.trace_id == trace_id)).first()
    if row is None:
        raise not_found(trace_id, assessment_id)
    return row


def insert_one(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(Assessment).values(**values))


def update_one(conn: Connection, assessment_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(Assessment).where(Assessment.assessment_id == assessment_id).values(**values))


def set_valid(conn: Connection, trace_id: str, assessment_id: str, valid: bool) -> None:
    conn.execute(update(Assessment).where(Assessment.assessment_id == assessment_id,
                                          Assessment.trace_id == trace_id).values(valid=valid))


def delete_one(conn: Connection, assessment_id: str) -> None:
    conn.execute(delete(Assessment).where(Assessment.assessment_id == assessment_id))


def for_traces(conn: Connection, trace_ids: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    if trace_ids:
        rows = conn.execute(select(Assessment).where(Assessment.trace_id.in_(list(trace_ids)))
                            .order_by(Assessment.create_time, Assessment.assessment_id))
        for row in rows:
            out[row.trace_id].append(row)
    return out
