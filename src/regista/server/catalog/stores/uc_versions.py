"""SQL for Unity Catalog model versions and their tags (the statements of every request on a version are
Prepared, see db/prepared.py)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.catalog.stores.privileges import GRANTEES, grantees_value
from regista.server.catalog.stores.uc_models import MODEL_COLS
from regista.server.db.dialect import upsert
from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import UcCatalog, UcModel, UcModelVersion, UcModelVersionTag, UcSchema
from regista.server.db.prepared import Prepared

PENDING = "PENDING_REGISTRATION"
READY = "READY"


def not_found(full_name: str, version: int | str) -> NotFound:
    return NotFound(f"Model version {full_name}/{version} does not exist.")


VERSION_COLS = (
    UcModelVersion.model_id, UcModelVersion.version, UcModelVersion.source, UcModelVersion.run_id,
    UcModelVersion.status, UcModelVersion.comment, UcModelVersion.storage_path, UcModelVersion.logged_model_id,
    UcModelVersion.created_at, UcModelVersion.created_by, UcModelVersion.updated_at, UcModelVersion.updated_by,
)


_FIND = Prepared(select(*VERSION_COLS).where(
    UcModelVersion.model_id == bindparam("model_id"), UcModelVersion.version == bindparam("version")))
_INSERT_COLUMNS = ("model_id", "version", "source", "run_id", "status", "comment", "storage_path",
                   "logged_model_id", "created_at", "created_by", "updated_at", "updated_by")
_INSERT = Prepared(insert(UcModelVersion).values({c: bindparam(c) for c in _INSERT_COLUMNS}))


def find_version(conn: Connection, model_id: int, version: int) -> Any | None:
    return _FIND.first(conn, {"model_id": model_id, "version": version})


def insert_version(conn: Connection, values: dict[str, Any]) -> None:
    """Insert a version; `values` has every one of _INSERT_COLUMNS."""
    _INSERT.execute(conn, {c: values[c] for c in _INSERT_COLUMNS})


def update_version(conn: Connection, model_id: int, version: int, values: dict[str, Any]) -> None:
    conn.execute(
        update(UcModelVersion)
        .where(UcModelVersion.model_id == model_id, UcModelVersion.version == version)
        .values(**values)
    )


def delete_version(conn: Connection, model_id: int, version: int) -> None:
    conn.execute(delete(UcModelVersion).where(UcModelVersion.model_id == model_id, UcModelVersion.version == version))


def storage_paths_of_model(conn: Connection, model_id: int) -> list[str]:
    return list(conn.execute(select(UcModelVersion.storage_path).where(UcModelVersion.model_id == model_id)).scalars())


def storage_paths_of_models(conn: Connection, model_ids: Sequence[int]) -> list[str]:
    if not model_ids:
        return []
    stmt = select(UcModelVersion.storage_path).where(UcModelVersion.model_id.in_(list(model_ids)))
    return list(conn.execute(stmt).scalars())


@cache
def _search_base(visible: ColumnElement[bool] | None) -> Any:
    """The versions search without its filter, per visibility condition: privileges.models_visible's, one
    object per dialect built once (so this cache holds one entry per dialect, plus None for admins), since
    assembling the joins and the grant conditions costs more than running the query."""
    stmt = (
        select(*VERSION_COLS, *[c for c in MODEL_COLS if c.key not in ("id",)])
        .join(UcModel, UcModel.id == UcModelVersion.model_id)
        .join(UcSchema, UcSchema.id == UcModel.schema_id)
        .join(UcCatalog, UcCatalog.id == UcSchema.catalog_id)
        .order_by(UcModelVersion.created_at.desc(), UcModelVersion.model_id, UcModelVersion.version.desc())
    )
    return stmt if visible is None else stmt.where(visible)


@cache
def _named_search(visible: ColumnElement[bool] | None) -> Prepared:
    """The versions of one model named by its three parts, a page of them: Prepared, as the statement is
    the same for every call (what the mlflow client sends to list a model's versions)."""
    return Prepared(_search_base(visible).where(
        UcCatalog.name == bindparam("catalog"), UcSchema.name == bindparam("schema"),
        UcModel.name == bindparam("model"),
    ).limit(bindparam("limit")).offset(bindparam("offset")))


def search_named_versions(
    conn: Connection,
    name: tuple[str, str, str],
    visible: ColumnElement[bool] | None,
    grantee_ids: Sequence[int],
    offset: int,
    limit: int,
) -> list[Any]:
    """search_versions with the filter `name = 'c.s.m'` (`name` is its three parts)."""
    params: dict[str, Any] = {"catalog": name[0], "schema": name[1], "model": name[2], "offset": offset,
                              "limit": limit}
    if visible is not None:
        params[GRANTEES] = grantees_value(conn.dialect.name, grantee_ids)
    return _named_search(visible).rows(conn, params)


def search_versions(
    conn: Connection,
    where: Sequence[ColumnElement[bool]],
    visible: ColumnElement[bool] | None,
    grantee_ids: Sequence[int],
    offset: int,
    limit: int | None,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """A page of versions (with their model's names) matching `where` and `visible` (a condition built once,
    privileges.models_visible), newest first."""
    stmt = _search_base(visible).where(*where)
    bind = dict(params or {})
    if visible is not None:
        bind[GRANTEES] = grantees_value(conn.dialect.name, grantee_ids)
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt, bind).all())


def expired_pending(conn: Connection, created_before: int, limit: int | None = None) -> list[Any]:
    """(model_id, version, storage_path) of versions still PENDING_REGISTRATION created before the time, the
    oldest first, at most `limit`."""
    stmt = (
        select(UcModelVersion.model_id, UcModelVersion.version, UcModelVersion.storage_path)
        .where(UcModelVersion.status == PENDING, UcModelVersion.created_at < created_before)
        .order_by(UcModelVersion.created_at, UcModelVersion.model_id, UcModelVersion.version)
        .limit(limit)
    )
    return list(conn.execute(stmt).all())


def delete_expired_pending(conn: Connection, model_id: int, version: int, created_before: int) -> bool:
    """Delete the version if it is still PENDING_REGISTRATION and created before the time; False when it is
    not (finalized meanwhile, or removed by another server process's sweep)."""
    result = conn.execute(delete(UcModelVersion).where(
        UcModelVersion.model_id == model_id, UcModelVersion.version == version,
        UcModelVersion.status == PENDING, UcModelVersion.created_at < created_before,
    ))
    return bool(result.rowcount)


# -- tags -----------------------------------------------------------------------------------------------

_TAG_COLS = (UcModelVersionTag.model_id, UcModelVersionTag.version, UcModelVersionTag.key,
             UcModelVersionTag.value)
_TAGS_OF_ONE = Prepared(select(*_TAG_COLS).where(
    UcModelVersionTag.model_id == bindparam("model_id"), UcModelVersionTag.version == bindparam("version")
).order_by(UcModelVersionTag.key))
_TAGS_OF_MODELS = Prepared(
    lambda dialect: select(*_TAG_COLS)
    .where(in_ids(UcModelVersionTag.model_id, dialect, "model_ids", integers=True))
    .order_by(UcModelVersionTag.key)
)


def tags_of(conn: Connection, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], dict[str, str | None]]:
    out: dict[tuple[int, int], dict[str, str | None]] = {}
    wanted = set(keys)
    if not wanted:
        return out
    if len(wanted) == 1:
        [(model_id, version)] = wanted
        rows = _TAGS_OF_ONE.execute(conn, {"model_id": model_id, "version": version}).fetchall()
    else:
        model_ids = sorted({k[0] for k in wanted})
        rows = _TAGS_OF_MODELS.execute(conn, {"model_ids": ids_value(conn, model_ids)}).fetchall()
    for model_id, version, key, value in rows:
        if (model_id, version) in wanted:
            out.setdefault((model_id, version), {})[key] = value
    return out


@cache
def _set_tag(dialect: str) -> Prepared:
    return Prepared(upsert(dialect, UcModelVersionTag, ["model_id", "version", "key"], ["value"]).values(
        model_id=bindparam("model_id"), version=bindparam("version"), key=bindparam("key"),
        value=bindparam("value")))


def set_tags(conn: Connection, model_id: int, version: int, tags: dict[str, str | None]) -> None:
    statement = _set_tag(conn.dialect.name)
    for key, value in tags.items():
        statement.execute(conn, {"model_id": model_id, "version": version, "key": key, "value": value})


def delete_tag(conn: Connection, model_id: int, version: int, key: str) -> bool:
    stmt = delete(UcModelVersionTag).where(
        UcModelVersionTag.model_id == model_id, UcModelVersionTag.version == version, UcModelVersionTag.key == key
    )
    return bool(conn.execute(stmt).rowcount)
