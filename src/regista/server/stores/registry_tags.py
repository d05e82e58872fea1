"""SQL for registered-model tags and model-version tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, insert, select, tuple_

from regista.server.db.models import ModelVersionTag, RegisteredModelTag
from regista.server.stores.registry_common import upsert


def registered_model_tags(conn: Connection, rm_ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    out: dict[int, dict[str, str | None]] = {}
    if not rm_ids:
        return out
    rows = conn.execute(
        select(RegisteredModelTag.registered_model_id, RegisteredModelTag.key, RegisteredModelTag.value)
        .where(RegisteredModelTag.registered_model_id.in_(rm_ids))
        .order_by(RegisteredModelTag.registered_model_id, RegisteredModelTag.key)
    )
    for rm_id, key, value in rows:
        out.setdefault(rm_id, {})[key] = value
    return out


def set_registered_model_tags(conn: Connection, rm_id: int, tags: dict[str, str | None]) -> None:
    if tags:
        upsert(
            conn,
            RegisteredModelTag,
            [{"registered_model_id": rm_id, "key": k, "value": v} for k, v in tags.items()],
            ["registered_model_id", "key"],
            ["value"],
        )


def delete_registered_model_tag(conn: Connection, rm_id: int, key: str) -> bool:
    res = conn.execute(
        delete(RegisteredModelTag).where(
            RegisteredModelTag.registered_model_id == rm_id, RegisteredModelTag.key == key
        )
    )
    return bool(res.rowcount)


def model_version_tags(
    conn: Connection, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], dict[str, str | None]]:
    """Tags of the given (registered_model_id, version) pairs, in one query."""
    pairs = list(set(keys))
    out: dict[tuple[int, int], dict[str, str | None]] = {}
    if not pairs:
        return out
    if len(pairs) == 1:
        cond = (ModelVersionTag.registered_model_id == pairs[0][0]) & (ModelVersionTag.version == pairs[0][1])
    else:
        cond = tuple_(ModelVersionTag.registered_model_id, ModelVersionTag.version).in_(pairs)
    rows = conn.execute(
        select(ModelVersionTag.registered_model_id, ModelVersionTag.version, ModelVersionTag.key,
               ModelVersionTag.value)
        .where(cond)
        .order_by(ModelVersionTag.key)
    )
    for rm_id, version, key, value in rows:
        out.setdefault((rm_id, version), {})[key] = value
    return out


def insert_model_version_tags(conn: Connection, rm_id: int, version: int, tags: dict[str, str | None]) -> None:
    if tags:
        conn.execute(
            insert(ModelVersionTag),
            [{"registered_model_id": rm_id, "version": version, "key": k, "value": v} for k, v in tags.items()],
        )


def set_model_version_tag(conn: Connection, rm_id: int, version: int, key: str, value: str) -> None:
    upsert(
        conn,
        ModelVersionTag,
        {"registered_model_id": rm_id, "version": version, "key": key, "value": value},
        ["registered_model_id", "version", "key"],
        ["value"],
    )


def delete_model_version_tag(conn: Connection, rm_id: int, version: int, key: str) -> bool:
    res = conn.execute(
        delete(ModelVersionTag).where(
            ModelVersionTag.registered_model_id == rm_id,
            ModelVersionTag.version == version,
            ModelVersionTag.key == key,
        )
    )
    return bool(res.rowcount)
