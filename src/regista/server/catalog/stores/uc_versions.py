"""SQL for Unity Catalog model versions and their tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.catalog.stores.privileges import GRANTEES, grantees_value
from regista.server.catalog.stores.uc_models import MODEL_COLS
from regista.server.db.dialect import upsert
from regista.server.db.models import UcCatalog, UcModel, UcModelVersion, UcModelVersionTag, UcSchema

PENDING = "PENDING_REGISTRATION"
READY = "READY"


def not_found(full_name: str, version: int | str) -> NotFound:
    return NotFound(f"Model version {full_name}/{version} does not exist.")


VERSION_COLS = (
    UcModelVersion.model_id, UcModelVersion.version, UcModelVersion.source, UcModelVersion.run_id,
    UcModelVersion.status, UcModelVersion.comment, UcModelVersion.storage_path, UcModelVersion.logged_model_id,
    UcModelVersion.created_at, UcModelVersion.created_by, UcModelVersion.updated_at, UcModelVersion.updated_by,
)


def find_version(conn: Connection, model_id: int, version: int) -> Any | None:
    stmt = select(*VERSION_COLS).where(UcModelVersion.model_id == model_id, UcModelVersion.version == version)
    return conn.execute(stmt).first()


def insert_version(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(UcModelVersion).values(**values))


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


def search_versions(
    conn: Connection,
    where: Sequence[ColumnElement[bool]],
    visible: ColumnElement[bool] | None,
    grantee_ids: Sequence[int],
    offset: int,
    limit: int | None,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """A page of versions (with their model's names) matching `where` and `visible`, newest first."""
    stmt = (
        select(*VERSION_COLS, *[c for c in MODEL_COLS if c.key not in ("id",)])
        .join(UcModel, UcModel.id == UcModelVersion.model_id)
        .join(UcSchema, UcSchema.id == UcModel.schema_id)
        .join(UcCatalog, UcCatalog.id == UcSchema.catalog_id)
        .where(*where)
    )
    bind = dict(params or {})
    if visible is not None:
        stmt = stmt.where(visible)
        bind[GRANTEES] = grantees_value(conn.dialect.name, grantee_ids)
    stmt = stmt.order_by(UcModelVersion.created_at.desc(), UcModelVersion.model_id, UcModelVersion.version.desc())
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

def tags_of(conn: Connection, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], dict[str, str | None]]:
    out: dict[tuple[int, int], dict[str, str | None]] = {}
    model_ids = sorted({k[0] for k in keys})
    if not model_ids:
        return out
    wanted = set(keys)
    stmt = (
        select(UcModelVersionTag.model_id, UcModelVersionTag.version, UcModelVersionTag.key, UcModelVersionTag.value)
        .where(UcModelVersionTag.model_id.in_(model_ids))
        .order_by(UcModelVersionTag.key)
    )
    for model_id, version, key, value in conn.execute(stmt):
        if (model_id, version) in wanted:
            out.setdefault((model_id, version), {})[key] = value
    return out


def set_tags(conn: Connection, model_id: int, version: int, tags: dict[str, str | None]) -> None:
    if tags:
        conn.execute(
            upsert(conn, UcModelVersionTag, ["model_id", "version", "key"], ["value"]),
            [{"model_id": model_id, "version": version, "key": k, "value": v} for k, v in tags.items()],
        )


def delete_tag(conn: Connection, model_id: int, version: int, key: str) -> bool:
    stmt = delete(UcModelVersionTag).where(
        UcModelVersionTag.model_id == model_id, UcModelVersionTag.version == version, UcModelVersionTag.key == key
    )
    return bool(conn.execute(stmt).rowcount)
