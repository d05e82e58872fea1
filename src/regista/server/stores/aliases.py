"""SQL for registered-model aliases (named pointers to a version)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, select

from regista.server.db.models import RegisteredModelAlias
from regista.server.stores.registry_common import upsert


def aliases_of_models(conn: Connection, rm_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    """(alias, version) pairs per model, alias-sorted, in one query."""
    out: dict[int, list[tuple[str, int]]] = {}
    if not rm_ids:
        return out
    rows = conn.execute(
        select(RegisteredModelAlias.registered_model_id, RegisteredModelAlias.alias, RegisteredModelAlias.version)
        .where(RegisteredModelAlias.registered_model_id.in_(rm_ids))
        .order_by(RegisteredModelAlias.registered_model_id, RegisteredModelAlias.alias)
    )
    for rm_id, alias, version in rows:
        out.setdefault(rm_id, []).append((alias, version))
    return out


def find_alias_version(conn: Connection, rm_id: int, alias: str) -> int | None:
    return conn.execute(
        select(RegisteredModelAlias.version).where(
            RegisteredModelAlias.registered_model_id == rm_id, RegisteredModelAlias.alias == alias
        )
    ).scalar_one_or_none()


def set_alias(conn: Connection, rm_id: int, alias: str, version: int) -> None:
    upsert(
        conn,
        RegisteredModelAlias,
        {"registered_model_id": rm_id, "alias": alias, "version": version},
        ["registered_model_id", "alias"],
        ["version"],
    )


def delete_alias(conn: Connection, rm_id: int, alias: str) -> bool:
    res = conn.execute(
        delete(RegisteredModelAlias).where(
            RegisteredModelAlias.registered_model_id == rm_id, RegisteredModelAlias.alias == alias
        )
    )
    return bool(res.rowcount)


def delete_aliases_of_version(conn: Connection, rm_id: int, version: int) -> list[str]:
    """Remove every alias pointing at the version; the removed alias names."""
    rows = conn.execute(
        delete(RegisteredModelAlias)
        .where(RegisteredModelAlias.registered_model_id == rm_id, RegisteredModelAlias.version == version)
        .returning(RegisteredModelAlias.alias)
    )
    return [r[0] for r in rows]
