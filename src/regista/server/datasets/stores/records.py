"""SQL for evaluation dataset records: lookup by input hash, insert, update, keyset pages, delete, count."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, insert, or_, select, update

from regista.server.db.models import EvaluationDatasetRecord as R


def by_hashes(conn: Connection, dataset_id: str, hashes: Sequence[str]) -> dict[str, Row[Any]]:
    """The dataset's records whose input hash is among `hashes`, by hash."""
    out: dict[str, Row[Any]] = {}
    unique = list(dict.fromkeys(hashes))
    # Chunked: a bound list longer than a few thousand values is refused by some drivers.
    for start in range(0, len(unique), 500):
        rows = conn.execute(
            select(R).where(R.dataset_id == dataset_id, R.input_hash.in_(unique[start : start + 500]))
        )
        for row in rows:
            out[row.input_hash] = row
    return out


def insert_records(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(R), list(rows))


@cache
def _update_record() -> Any:
    return (
        update(R)
        .where(R.dataset_record_id == bindparam("match_id"))
        .values(
            outputs=bindparam("new_outputs"),
            expectations=bindparam("new_expectations"),
            tags=bindparam("new_tags"),
            last_update_time=bindparam("new_last_update_time"),
            last_updated_by=bindparam("new_last_updated_by"),
        )
    )


def update_records(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Each dict: match_id and the new_ values of outputs, expectations, tags, last_update_time, last_updated_by."""
    if rows:
        conn.execute(_update_record(), list(rows))


def page(conn: Connection, dataset_id: str, after: tuple[int, str] | None, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` records in (created_time, dataset_record_id) order, after the keyset position `after`."""
    stmt = select(R).where(R.dataset_id == dataset_id)
    if after is not None:
        created, record_id = after
        stmt = stmt.where(
            or_(R.created_time > created, and_(R.created_time == created, R.dataset_record_id > record_id))
        )
    return conn.execute(stmt.order_by(R.created_time, R.dataset_record_id).limit(limit)).all()


def delete_records(conn: Connection, dataset_id: str, record_ids: Sequence[str]) -> int:
    if not record_ids:
        return 0
    result = conn.execute(delete(R).where(R.dataset_id == dataset_id, R.dataset_record_id.in_(list(record_ids))))
    return int(result.rowcount or 0)


def count(conn: Connection, dataset_id: str) -> int:
    return int(conn.execute(select(func.count()).select_from(R).where(R.dataset_id == dataset_id)).scalar_one())
