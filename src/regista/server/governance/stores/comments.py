"""SQL for comments on model versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.models import RegisteredModel, VersionComment
from regista.server.db.prepared import Prepared

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


_COMMENTS_OF_VERSION = Prepared(
    select(VersionComment)
    .where(VersionComment.registered_model_id == bindparam("rm_id"), VersionComment.version == bindparam("version"))
    .order_by(VersionComment.creation_time, VersionComment.id)
)


def comments_of_version(conn: Connection, rm_id: int, version: int) -> list[Any]:
    """The version's comments, oldest first."""
    return _COMMENTS_OF_VERSION.rows(conn, {"rm_id": rm_id, "version": version})
