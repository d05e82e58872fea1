"""SQL for registered-model aliases (named pointers to a version)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from regista.errors import InvalidParameter
from regista.server.db.dialect import upsert
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import RegisteredModelAlias as Alias
from regista.server.db.prepared import Prepared


def not_found(alias: str) -> InvalidParameter:
    """An unknown alias is a 400 (not a 404), in MLflow's words, as on the official server."""
    return InvalidParameter(f"Registered model alias {alias} not found.")


_OF_ONE_MODEL = Prepared(
    select(Alias.registered_model_id, Alias.alias, Alias.version)
    .where(Alias.registered_model_id == bindparam("rm_id"))
    .order_by(Alias.alias)
)


_OF_MODELS = Prepared(
    lambda dialect: select(Alias.registered_model_id, Alias.alias, Alias.version)
    .where(in_ids(Alias.registered_model_id, dialect, "rm_ids", integers=True))
    .order_by(Alias.registered_model_id, Alias.alias)
)


def aliases_of_models(conn: Connection, rm_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    """(alias, version) pairs per model, alias-sorted, in one query."""
    out: dict[int, list[tuple[str, int]]] = {}
    if not rm_ids:
        return out
    if len(rm_ids) == 1:
        rows = _OF_ONE_MODEL.execute(conn, {"rm_id": rm_ids[0]}).fetchall()
    else:
        rows = _OF_MODELS.execute(conn, {"rm_ids": ids_value(conn, rm_ids)}).fetchall()
    for rm_id, alias, version in rows:
        out.setdefault(rm_id, []).append((alias, version))
    return out


_ONE = Prepared(
    select(Alias.version).where(Alias.registered_model_id == bindparam("rm_id"), Alias.alias == bindparam("alias"))
)


def find_alias_version(conn: Connection, rm_id: int, alias: str) -> int | None:
    return _ONE.scalar(conn, {"rm_id": rm_id, "alias": alias})


@cache
def _set(dialect: str) -> Prepared:
    stmt = upsert(dialect, Alias, ["registered_model_id", "alias"], ["version"])
    return Prepared(stmt.values(registered_model_id=bindparam("rm_id"), alias=bindparam("alias"),
                                version=bindparam("version")))


def set_alias(conn: Connection, rm_id: int, alias: str, version: int) -> None:
    _set(conn.dialect.name).execute(conn, {"rm_id": rm_id, "alias": alias, "version": version})


@cache
def _delete_one() -> Any:
    return delete(Alias).where(
        Alias.registered_model_id == bindparam("rm_id"), Alias.alias == bindparam("alias")
    )


def delete_alias(conn: Connection, rm_id: int, alias: str) -> bool:
    return bool(conn.execute(_delete_one(), {"rm_id": rm_id, "alias": alias}).rowcount)


@cache
def _delete_of_version() -> Any:
    return (
        delete(Alias)
        .where(Alias.registered_model_id == bindparam("rm_id"), Alias.version == bindparam("version"))
        .returning(Alias.alias)
    )


def delete_aliases_of_version(conn: Connection, rm_id: int, version: int) -> list[str]:
    """Remove every alias pointing at the version; the removed alias names."""
    return [r[0] for r in conn.execute(_delete_of_version(), {"rm_id": rm_id, "version": version})]
