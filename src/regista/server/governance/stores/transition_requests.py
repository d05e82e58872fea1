"""SQL for open stage-transition requests on model versions (closed ones live on in the activity log)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from regista.server.db.models import TransitionRequest
from regista.server.db.prepared import Prepared
from regista.server.governance.stores.activities import of_version

_REQUEST_COLUMNS = tuple(c.name for c in TransitionRequest.__table__.c if c.name != "id")
_INSERT_REQUEST = Prepared(
    insert(TransitionRequest)
    .values({c: bindparam(c) for c in _REQUEST_COLUMNS})
    .returning(*TransitionRequest.__table__.c)
)
_OPEN_REQUESTS = Prepared(
    select(TransitionRequest)
    .where(*of_version(TransitionRequest))
    .order_by(TransitionRequest.creation_time, TransitionRequest.id)
)
_REQUESTS_FOR_STAGE = Prepared(
    select(TransitionRequest)
    .where(*of_version(TransitionRequest), TransitionRequest.to_stage == bindparam("stage"))
    .order_by(TransitionRequest.creation_time, TransitionRequest.id)
)
_ONE_REQUEST = Prepared(
    select(TransitionRequest).where(
        *of_version(TransitionRequest),
        TransitionRequest.to_stage == bindparam("stage"),
        TransitionRequest.creator == bindparam("creator"),
    )
)


def insert_request(conn: Connection, values: dict[str, Any]) -> Any:
    return _INSERT_REQUEST.first(conn, {c: values.get(c) for c in _REQUEST_COLUMNS})


def open_requests(conn: Connection, rm_id: int, version: int) -> list[Any]:
    """The version's open requests, oldest first."""
    return _OPEN_REQUESTS.rows(conn, {"rm_id": rm_id, "version": version})


def requests_for_stage(conn: Connection, rm_id: int, version: int, stage: str) -> list[Any]:
    return _REQUESTS_FOR_STAGE.rows(conn, {"rm_id": rm_id, "version": version, "stage": stage})


def find_request(conn: Connection, rm_id: int, version: int, stage: str, creator: str) -> Any | None:
    return _ONE_REQUEST.first(conn, {"rm_id": rm_id, "version": version, "stage": stage, "creator": creator})


def delete_requests(conn: Connection, request_ids: Sequence[int]) -> None:
    """Close requests (the activity log keeps their history)."""
    if request_ids:
        conn.execute(delete(TransitionRequest).where(TransitionRequest.id.in_(list(request_ids))))
