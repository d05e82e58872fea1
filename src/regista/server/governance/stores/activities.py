"""SQL for the activity log of model versions: append-only (there is deliberately no update or delete
statement for it; its rows go only with their version, by the foreign key's cascade)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from regista.server.db.models import VersionActivity
from regista.server.db.prepared import Prepared


def of_version(table: Any) -> Any:
    """The condition selecting one model version's rows of a governance table (binds rm_id, version)."""
    return (table.registered_model_id == bindparam("rm_id"), table.version == bindparam("version"))


_ACTIVITY_COLUMNS = tuple(c.name for c in VersionActivity.__table__.c if c.name != "id")
_INSERT_ACTIVITY = Prepared(
    insert(VersionActivity)
    .values({c: bindparam(c) for c in _ACTIVITY_COLUMNS})
    .returning(*VersionActivity.__table__.c)
)
_ACTIVITIES = Prepared(select(VersionActivity).where(*of_version(VersionActivity)).order_by(VersionActivity.id))


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
