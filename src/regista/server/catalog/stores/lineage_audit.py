"""SQL for version lineage (the datasets behind a version) and the append-only audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.sql.elements import ColumnElement

from regista.server.catalog.stores.privileges import GRANTEES, grantees_value
from regista.server.db.dialect import insert_ignore
from regista.server.db.models import (
    UcAuditEntry,
    UcCatalog,
    UcModel,
    UcModelVersion,
    UcSchema,
    UcVersionLineage,
)
from regista.server.db.prepared import Prepared


def insert_lineage(conn: Connection, model_id: int, version: int, sources: Sequence[dict[str, Any]]) -> None:
    if sources:
        conn.execute(
            insert_ignore(conn, UcVersionLineage),
            [{"model_id": model_id, "version": version, **s} for s in sources],
        )


def lineage_of(conn: Connection, model_id: int, version: int) -> list[Any]:
    stmt = (
        select(UcVersionLineage.name, UcVersionLineage.digest, UcVersionLineage.source_type,
               UcVersionLineage.source, UcVersionLineage.context)
        .where(UcVersionLineage.model_id == model_id, UcVersionLineage.version == version)
        .order_by(UcVersionLineage.name, UcVersionLineage.digest)
    )
    return list(conn.execute(stmt).all())


def versions_from_table(
    conn: Connection, name: str, visible: ColumnElement[bool] | None, grantee_ids: Sequence[int], limit: int
) -> list[Any]:
    """(catalog, schema, model, version, status) of the versions trained on the table / dataset `name`
    that the caller may read (`visible`, inside the query)."""
    stmt = (
        select(UcCatalog.name, UcSchema.name, UcModel.name, UcModelVersion.version, UcModelVersion.status)
        .distinct()
        .select_from(UcVersionLineage)
        .join(UcModelVersion, (UcModelVersion.model_id == UcVersionLineage.model_id)
              & (UcModelVersion.version == UcVersionLineage.version))
        .join(UcModel, UcModel.id == UcVersionLineage.model_id)
        .join(UcSchema, UcSchema.id == UcModel.schema_id)
        .join(UcCatalog, UcCatalog.id == UcSchema.catalog_id)
        .where(UcVersionLineage.name == name)
    )
    bind: dict[str, Any] = {}
    if visible is not None:
        stmt = stmt.where(visible)
        bind[GRANTEES] = grantees_value(conn.dialect.name, grantee_ids)
    stmt = stmt.order_by(UcCatalog.name, UcSchema.name, UcModel.name, UcModelVersion.version).limit(limit)
    return list(conn.execute(stmt, bind).all())


_AUDIT_COLUMNS = ("time", "principal", "action", "securable_type", "full_name", "result", "detail")
# Every change writes one: run on the driver, as the change's own statements.
_APPEND_AUDIT = Prepared(insert(UcAuditEntry).values({c: bindparam(c) for c in _AUDIT_COLUMNS}))


def append_audit(conn: Connection, values: dict[str, Any]) -> None:
    """Append an entry; `values` has every one of _AUDIT_COLUMNS."""
    _APPEND_AUDIT.execute(conn, {c: values[c] for c in _AUDIT_COLUMNS})


def search_audit(conn: Connection, where: Sequence[ColumnElement[bool]], offset: int, limit: int) -> list[Any]:
    stmt = (
        select(UcAuditEntry.id, UcAuditEntry.time, UcAuditEntry.principal, UcAuditEntry.action,
               UcAuditEntry.securable_type, UcAuditEntry.full_name, UcAuditEntry.result, UcAuditEntry.detail)
        .where(*where)
        .order_by(UcAuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(conn.execute(stmt).all())


def audit_filters(principal: str | None, full_name: str | None, result: str | None,
                  action: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if principal:
        where.append(UcAuditEntry.principal == principal)
    if full_name:
        where.append(UcAuditEntry.full_name == full_name)
    if result:
        where.append(UcAuditEntry.result == result)
    if action:
        where.append(UcAuditEntry.action == action)
    return where
