"""SQL for Unity Catalog grants (uc_grants) and the "visible to the caller" conditions every listing embeds,
so that catalogs, schemas, models and versions a caller may not see are filtered inside the query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Integer, Text, and_, any_, bindparam, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from regista.server.db.dialect import insert_ignore
from regista.server.db.models import Identity, UcCatalog, UcGrant, UcModel, UcSchema
from regista.server.db.prepared import Prepared
from regista.server.search.keyset import seek_condition, sort_terms

CATALOG = "catalog"
SCHEMA = "schema"
FUNCTION = "function"

GRANTEES = "grantees"


def in_grantees(column: Any, dialect: str) -> Any:
    """`column IN (:grantees)`, the caller's identity ids bound as one parameter (grantees_value)."""
    if dialect == "postgresql":
        return column == any_(bindparam(GRANTEES, type_=ARRAY(Integer)))
    values = func.json_each(bindparam(GRANTEES, type_=Text)).table_valued("value")
    return column.in_(select(values.c.value))


def grantees_value(dialect: str, grantee_ids: Sequence[int]) -> Any:
    return list(grantee_ids) if dialect == "postgresql" else orjson.dumps(list(grantee_ids)).decode()


def _granted(dialect: str, securable_type: str, privileges: Sequence[str]) -> Any:
    """The ids of securables of the type on which the grantees hold one of `privileges` (an uncorrelated
    subquery, computed once per query)."""
    return select(UcGrant.securable_id).where(
        UcGrant.securable_type == securable_type,
        # One bound value per privilege, not an expanding IN: the condition also goes into Prepared statements.
        UcGrant.privilege.in_([literal(p) for p in privileges]),
        in_grantees(UcGrant.identity_id, dialect),
    )


def catalog_usable(dialect: str, use: Sequence[str]) -> ColumnElement[bool]:
    """The grantees may use the catalog: they own it or hold one of `use` on it."""
    return or_(in_grantees(UcCatalog.owner_id, dialect), UcCatalog.id.in_(_granted(dialect, CATALOG, use)))


def schema_usable(dialect: str, use: Sequence[str]) -> ColumnElement[bool]:
    """The grantees may use the schema: they own it or its catalog, or hold one of `use` on either."""
    return or_(
        in_grantees(UcCatalog.owner_id, dialect),
        in_grantees(UcSchema.owner_id, dialect),
        UcSchema.id.in_(_granted(dialect, SCHEMA, use)),
        UcCatalog.id.in_(_granted(dialect, CATALOG, use)),
    )


def schema_visible(dialect: str, inherited: Sequence[str]) -> ColumnElement[bool]:
    """The schema is listed to owners (of it or its catalog), holders of any privilege on it, and holders of
    one of `inherited` on its catalog."""
    any_grant = select(UcGrant.securable_id).where(
        UcGrant.securable_type == SCHEMA, in_grantees(UcGrant.identity_id, dialect)
    )
    return or_(
        in_grantees(UcCatalog.owner_id, dialect),
        in_grantees(UcSchema.owner_id, dialect),
        UcSchema.id.in_(any_grant),
        UcCatalog.id.in_(_granted(dialect, CATALOG, inherited)),
    )


def model_readable(dialect: str, read: Sequence[str]) -> ColumnElement[bool]:
    """The grantees may read the model: they own it (or its schema or catalog) or hold one of `read` on
    it, its schema or its catalog (privileges are inherited downwards)."""
    return or_(
        in_grantees(UcCatalog.owner_id, dialect),
        in_grantees(UcSchema.owner_id, dialect),
        in_grantees(UcModel.owner_id, dialect),
        UcModel.id.in_(_granted(dialect, FUNCTION, read)),
        UcSchema.id.in_(_granted(dialect, SCHEMA, read)),
        UcCatalog.id.in_(_granted(dialect, CATALOG, read)),
    )


def catalog_listed(dialect: str) -> ColumnElement[bool]:
    """A catalog is listed to whoever owns it or holds any privilege on it."""
    any_grant = select(UcGrant.securable_id).where(
        UcGrant.securable_type == CATALOG, in_grantees(UcGrant.identity_id, dialect)
    )
    return or_(in_grantees(UcCatalog.owner_id, dialect), UcCatalog.id.in_(any_grant))


# The grant check of every request: a securable's path has at most three levels (catalog, schema, model), so
# one fixed shape serves them all (a shorter path repeats its last level).
_PATH_LEVELS = 3
_PRIVILEGES_ON_PATH = Prepared(
    lambda dialect: select(UcGrant.securable_type, UcGrant.securable_id, UcGrant.privilege).where(
        or_(*[and_(UcGrant.securable_type == bindparam(f"type{n}"), UcGrant.securable_id == bindparam(f"id{n}"))
              for n in range(_PATH_LEVELS)]),
        in_grantees(UcGrant.identity_id, dialect),
    )
)


def privileges_on(
    conn: Connection, securables: Sequence[tuple[str, int]], grantee_ids: Sequence[int]
) -> list[tuple[str, int, str]]:
    """(securable type, id, privilege) the grantees hold directly on each of `securables` (a path of at most
    three levels), in one query."""
    if not securables or not grantee_ids:
        return []
    if len(securables) > _PATH_LEVELS:
        raise ValueError(f"A securable's path has at most {_PATH_LEVELS} levels.")
    dialect = conn.dialect.name
    padded = [*securables, *[securables[-1]] * (_PATH_LEVELS - len(securables))]
    params: dict[str, Any] = {GRANTEES: grantees_value(dialect, grantee_ids)}
    for n, (securable_type, securable_id) in enumerate(padded):
        params[f"type{n}"], params[f"id{n}"] = securable_type, securable_id
    return [(r[0], r[1], r[2]) for r in _PRIVILEGES_ON_PATH.execute(conn, params).fetchall()]


# The order grants are listed in: by principal (name, then identity id, as a user and a group may share a
# name), so that a page boundary falls between principals and the next page seeks past the last one.
PRINCIPAL_ORDER = (Identity.name, Identity.id)


def grants_on(
    conn: Connection,
    securables: Sequence[tuple[str, int]],
    identity_id: int | None = None,
    after: Sequence[Any] | None = None,
    limit: int | None = None,
) -> list[Any]:
    """Grants (securable_type, securable_id, identity_id, principal, privilege) on the securables, ordered by
    principal (PRINCIPAL_ORDER) then privilege: only `identity_id`'s when given, only principals past
    `after` (their PRINCIPAL_ORDER values) when given, at most `limit` rows."""
    if not securables:
        return []
    stmt = (
        select(UcGrant.securable_type, UcGrant.securable_id, UcGrant.identity_id,
               Identity.name.label("principal"), UcGrant.privilege)
        .join(Identity, Identity.id == UcGrant.identity_id)
        .where(or_(*[and_(UcGrant.securable_type == t, UcGrant.securable_id == i) for t, i in securables]))
        .order_by(*PRINCIPAL_ORDER, UcGrant.privilege, UcGrant.securable_type)
    )
    if identity_id is not None:
        stmt = stmt.where(UcGrant.identity_id == identity_id)
    if after is not None:
        stmt = stmt.where(seek_condition(sort_terms(PRINCIPAL_ORDER), after))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt).all())


def add_grants(conn: Connection, securable_type: str, securable_id: int, pairs: Sequence[tuple[int, str]]) -> None:
    if pairs:
        conn.execute(
            insert_ignore(conn, UcGrant),
            [
                {"securable_type": securable_type, "securable_id": securable_id, "identity_id": i, "privilege": p}
                for i, p in pairs
            ],
        )


def remove_grants(
    conn: Connection, securable_type: str, securable_id: int, pairs: Sequence[tuple[int, str]]
) -> None:
    for identity_id, privilege in pairs:
        conn.execute(
            delete(UcGrant).where(
                UcGrant.securable_type == securable_type,
                UcGrant.securable_id == securable_id,
                UcGrant.identity_id == identity_id,
                UcGrant.privilege == privilege,
            )
        )


def forget_securables(conn: Connection, securables: Sequence[tuple[str, int]]) -> None:
    """Drop the grants on deleted securables."""
    for securable_type, securable_id in securables:
        conn.execute(
            delete(UcGrant).where(UcGrant.securable_type == securable_type, UcGrant.securable_id == securable_id)
        )
