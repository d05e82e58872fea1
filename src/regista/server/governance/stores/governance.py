"""SQL for the workspace-registry governance tables: open transition requests, the append-only activity log
and comments on model versions.

The activity log is only ever inserted into here: there is deliberately no update or delete statement for
it (its rows go only with their version, by the foreign key's cascade).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import RegisteredModel, TransitionRequest, VersionActivity, VersionComment
from regista.server.db.prepared import Prepared


def _of_version(table: Any) -> Any:
    return (table.registered_model_id == bindparam("rm_id"), table.version == bindparam("version"))


# ---- activity log (insert and read only) --------------------------------------------------------------

_ACTIVITY_COLUMNS = tuple(c.name for c in VersionActivity.__table__.c if c.name != "id")
_INSERT_ACTIVITY = Prepared(
    insert(VersionActivity)
    .values({c: bindparam(c) for c in _ACTIVITY_COLUMNS})
    .returning(*VersionActivity.__table__.c)
)
_ACTIVITIES = Prepared(select(VersionActivity).where(*_of_version(VersionActivity)).order_by(VersionActivity.id))


def insert_activity(conn: Connection, values: dict[str, Any]) -> Any:
    """Append one activity and return its row (with its id)."""
    return _INSERT_ACTIVITY.first(conn, {c: values.get(c) for c in _ACTIVITY_COLUMNS})


def insert_activities(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append several activities in one statement (e.g. the system transitions of archive_existing)."""
    if rows:
        conn.execute(insert(VersionActivity), [{c: r.get(c) for c in _ACTIVITY_COLUMNS} for r in rows])


def activities_of_version(conn: Connection, rm_id: int, version: int) -> list[Any]:
    """The version's log, oldest first (ids grow with time)."""
    return _ACTIVITIES.rows(conn, {"rm_id": rm_id, "version": version})


# ---- transition requests ------------------------------------------------------------------------------

_REQUEST_COLUMNS = tuple(c.name for c in TransitionRequest.__table__.c if c.name != "id")
_INSERT_REQUEST = Prepared(
    insert(TransitionRequest)
    .values({c: bindparam(c) for c in _REQUEST_COLUMNS})
    .returning(*TransitionRequest.__table__.c)
)
_OPEN_REQUESTS = Prepared(
    select(TransitionRequest)
    .where(*_of_version(TransitionRequest))
    .order_by(TransitionRequest.creation_time, TransitionRequest.id)
)
_REQUESTS_FOR_STAGE = Prepared(
    select(TransitionRequest)
    .where(*_of_version(TransitionRequest), TransitionRequest.to_stage == bindparam("stage"))
    .order_by(TransitionRequest.creation_time, TransitionRequest.id)
)
_ONE_REQUEST = Prepared(
    select(TransitionRequest).where(
        *_of_version(TransitionRequest),
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


# ---- comments -----------------------------------------------------------------------------------------

_COMMENT_COLUMNS = tuple(c.name for c in VersionComment.__table__.c)
_INSERT_COMMENT = Prepared(
    insert(VersionComment)
    .values({c: bindparam(c) for c in _COMMENT_COLUMNS})
    .returning(*VersionComment.__table__.c)
)
# A comment with its model's name (events and error messages name the model).
_ONE_COMMENT = Prepared(
    select(VersionComment, RegisteredModel.name.label("model_name"))
    .join(RegisteredModel, RegisteredModel.id == VersionComment.registered_model_id)
    .where(VersionComment.id == bindparam("id"))
)
_LOCK_COMMENT = Prepared(
    select(VersionComment, RegisteredModel.name.label("model_name"))
    .join(RegisteredModel, RegisteredModel.id == VersionComment.registered_model_id)
    .where(VersionComment.id == bindparam("id"))
    .with_for_update(of=VersionComment)
)
_UPDATE_COMMENT = Prepared(
    update(VersionComment)
    .where(VersionComment.id == bindparam("id"))
    .values(comment=bindparam("comment"), last_updated_time=bindparam("now"))
    .returning(*VersionComment.__table__.c)
)


def insert_comment(conn: Connection, values: dict[str, Any]) -> Any:
    return _INSERT_COMMENT.first(conn, {c: values[c] for c in _COMMENT_COLUMNS})


def comment_not_found(comment_id: str) -> NotFound:
    return NotFound(f"Comment with id='{comment_id}' not found.")


def find_comment(conn: Connection, comment_id: str, *, for_update: bool = False) -> Any | None:
    """The comment row plus `model_name`, or None; `for_update` locks it on PostgreSQL."""
    return (_LOCK_COMMENT if for_update else _ONE_COMMENT).first(conn, {"id": comment_id})


def update_comment(conn: Connection, comment_id: str, text: str, now: int) -> Any:
    return _UPDATE_COMMENT.first(conn, {"id": comment_id, "comment": text, "now": now})


def delete_comment(conn: Connection, comment_id: str) -> None:
    conn.execute(delete(VersionComment).where(VersionComment.id == comment_id))
