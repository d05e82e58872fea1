"""SQL for e-mail notification settings: model levels, followed versions, user switches, daily counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, exists, select, update

from regista.server.db.dialect import insert_ignore, upsert
from regista.server.db.models import (
    NotificationCount,
    NotificationFollow,
    NotificationSubscription,
    NotificationUserSetting,
)

_S = NotificationSubscription.__table__
_F = NotificationFollow.__table__
_U = NotificationUserSetting.__table__
_C = NotificationCount.__table__

ALL_EVENTS = "ALL_EVENTS"
DEFAULT = "DEFAULT"
UNSUBSCRIBED = "UNSUBSCRIBED"
SUBSCRIBED = "SUBSCRIBED"


def set_level(conn: Connection, user: str, model: str, level: str) -> None:
    conn.execute(upsert(conn, _S, ("user_name", "model_name"), ("level",)),
                 {"user_name": user, "model_name": model, "level": level})


def set_level_if_absent(conn: Connection, user: str, model: str, level: str) -> None:
    conn.execute(insert_ignore(conn, _S), {"user_name": user, "model_name": model, "level": level})


def find_level(conn: Connection, user: str, model: str) -> str | None:
    row = conn.execute(select(_S.c.level).where(_S.c.user_name == user, _S.c.model_name == model)).first()
    return None if row is None else str(row[0])


def follow(conn: Connection, user: str, model: str, version: int) -> None:
    conn.execute(insert_ignore(conn, _F), {"user_name": user, "model_name": model, "version": version})


def follows(conn: Connection, user: str, model: str, version: int) -> bool:
    query = select(_F.c.user_name).where(_F.c.user_name == user, _F.c.model_name == model, _F.c.version == version)
    return conn.execute(query).first() is not None


def set_user_status(conn: Connection, user: str, status: str) -> None:
    conn.execute(upsert(conn, _U, ("user_name",), ("status",)), {"user_name": user, "status": status})


def find_user_status(conn: Connection, user: str) -> str | None:
    row = conn.execute(select(_U.c.status).where(_U.c.user_name == user)).first()
    return None if row is None else str(row[0])


def recipients(conn: Connection, model: str, version: int | None) -> list[str]:
    """Users to tell about an event on (model, version): those at ALL_EVENTS on the model, and those who
    follow the version and have not muted the model; minus users who switched all e-mails off."""
    all_events = select(_S.c.user_name).where(_S.c.model_name == model, _S.c.level == ALL_EVENTS)
    names = {r[0] for r in conn.execute(all_events)}
    if version is not None:
        muted = exists().where(and_(_S.c.user_name == _F.c.user_name, _S.c.model_name == model,
                                    _S.c.level == UNSUBSCRIBED))
        following = select(_F.c.user_name).where(_F.c.model_name == model, _F.c.version == version, ~muted)
        names.update(r[0] for r in conn.execute(following))
    if not names:
        return []
    off = select(_U.c.user_name).where(_U.c.user_name.in_(sorted(names)), _U.c.status == UNSUBSCRIBED)
    names.difference_update(r[0] for r in conn.execute(off))
    return sorted(names)


def bump_count(conn: Connection, user: str, model: str, event_type: str, day: int, now: int) -> int:
    """Count one more e-mail of `event_type` about `model` to `user` on `day`; the new count."""
    key: dict[str, Any] = {"user_name": user, "model_name": model, "event_type": event_type, "day": day}
    conn.execute(insert_ignore(conn, _C), {**key, "count": 0, "last_sent_at": now})
    where = and_(*[_C.c[k] == v for k, v in key.items()])
    conn.execute(update(NotificationCount).where(where).values(count=_C.c.count + 1, last_sent_at=now))
    return int(conn.execute(select(_C.c.count).where(where)).scalar_one())


def rename_model(conn: Connection, old: str, new: str) -> None:
    """Move every user's level and followed versions from `old` to `new` (the model was renamed); rows left
    under `new` by an earlier model of that name go first, so the move never collides."""
    for table in (NotificationSubscription, NotificationFollow):
        conn.execute(delete(table).where(table.model_name == new))
        conn.execute(update(table).where(table.model_name == old).values(model_name=new))


def prune_counts(conn: Connection, before_day: int) -> int:
    """Delete the daily e-mail counts of days before `before_day` (the cap only looks at today)."""
    return conn.execute(delete(NotificationCount).where(_C.c.day < before_day)).rowcount or 0
