"""SQL for registered-model tags and model-version tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from regista.server.db.dialect import upsert
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import ModelVersionTag as MVTag
from regista.server.db.models import RegisteredModelTag as RMTag
from regista.server.db.prepared import Prepared

_RM_TAGS_OF_ONE = Prepared(
    select(RMTag.registered_model_id, RMTag.key, RMTag.value)
    .where(RMTag.registered_model_id == bindparam("rm_id"))
    .order_by(RMTag.key)
)
_MV_TAGS_OF_ONE = Prepared(
    select(MVTag.registered_model_id, MVTag.version, MVTag.key, MVTag.value)
    .where(MVTag.registered_model_id == bindparam("rm_id"), MVTag.version == bindparam("version"))
    .order_by(MVTag.key)
)


_RM_TAGS_OF_MANY = Prepared(
    lambda dialect: select(RMTag.registered_model_id, RMTag.key, RMTag.value)
    .where(in_ids(RMTag.registered_model_id, dialect, "rm_ids", integers=True))
    .order_by(RMTag.registered_model_id, RMTag.key)
)


def registered_model_tags(conn: Connection, rm_ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    out: dict[int, dict[str, str | None]] = {}
    if not rm_ids:
        return out
    if len(rm_ids) == 1:
        rows = _RM_TAGS_OF_ONE.execute(conn, {"rm_id": rm_ids[0]}).fetchall()
    else:
        rows = _RM_TAGS_OF_MANY.execute(conn, {"rm_ids": ids_value(conn, rm_ids)}).fetchall()
    for rm_id, key, value in rows:
        out.setdefault(rm_id, {})[key] = value
    return out


def set_registered_model_tags(conn: Connection, rm_id: int, tags: dict[str, str | None]) -> None:
    if tags:
        conn.execute(
            upsert(conn, RMTag, ["registered_model_id", "key"], ["value"]),
            [{"registered_model_id": rm_id, "key": k, "value": v} for k, v in tags.items()],
        )


@cache
def _delete_rm_tag() -> Any:
    return delete(RMTag).where(RMTag.registered_model_id == bindparam("rm_id"), RMTag.key == bindparam("key"))


def delete_registered_model_tag(conn: Connection, rm_id: int, key: str) -> bool:
    return bool(conn.execute(_delete_rm_tag(), {"rm_id": rm_id, "key": key}).rowcount)


# Tags of every version of the given models, narrowed to the wanted versions in Python: one statement
# whatever the mix of (model, version) pairs, served by the primary-key index.
_MV_TAGS_OF_MANY = Prepared(
    lambda dialect: select(MVTag.registered_model_id, MVTag.version, MVTag.key, MVTag.value)
    .where(
        in_ids(MVTag.registered_model_id, dialect, "rm_ids", integers=True),
        in_ids(MVTag.version, dialect, "versions", integers=True),
    )
    .order_by(MVTag.key)
)


def model_version_tags(
    conn: Connection, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], dict[str, str | None]]:
    """Tags of the given (registered_model_id, version) pairs, in one query."""
    pairs = set(keys)
    out: dict[tuple[int, int], dict[str, str | None]] = {}
    if not pairs:
        return out
    if len(pairs) == 1:
        ((one_rm, one_version),) = pairs
        rows = _MV_TAGS_OF_ONE.execute(conn, {"rm_id": one_rm, "version": one_version}).fetchall()
    else:
        params = {
            "rm_ids": ids_value(conn, list({p[0] for p in pairs})),
            "versions": ids_value(conn, list({p[1] for p in pairs})),
        }
        rows = _MV_TAGS_OF_MANY.execute(conn, params).fetchall()
    for rm_id, version, key, value in rows:
        if (rm_id, version) in pairs:
            out.setdefault((rm_id, version), {})[key] = value
    return out


def insert_model_version_tags(conn: Connection, rm_id: int, version: int, tags: dict[str, str | None]) -> None:
    if tags:
        conn.execute(
            insert(MVTag),
            [{"registered_model_id": rm_id, "version": version, "key": k, "value": v} for k, v in tags.items()],
        )


def set_model_version_tag(conn: Connection, rm_id: int, version: int, key: str, value: str) -> None:
    conn.execute(
        upsert(conn, MVTag, ["registered_model_id", "version", "key"], ["value"]),
        {"registered_model_id": rm_id, "version": version, "key": key, "value": value},
    )


@cache
def _delete_mv_tag() -> Any:
    return delete(MVTag).where(
        MVTag.registered_model_id == bindparam("rm_id"),
        MVTag.version == bindparam("version"),
        MVTag.key == bindparam("key"),
    )


def delete_model_version_tag(conn: Connection, rm_id: int, version: int, key: str) -> bool:
    params = {"rm_id": rm_id, "version": version, "key": key}
    return bool(conn.execute(_delete_mv_tag(), params).rowcount)


_RM_TAG_VALUE = Prepared(
    select(RMTag.value).where(RMTag.registered_model_id == bindparam("rm_id"), RMTag.key == bindparam("key"))
)


def registered_model_tag_value(conn: Connection, rm_id: int, key: str) -> str | None:
    """One tag's value (None when the model has no such tag)."""
    row = _RM_TAG_VALUE.execute(conn, {"rm_id": rm_id, "key": key}).fetchone()
    return None if row is None else row[0]
