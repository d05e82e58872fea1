"""Unity Catalog privileges: what the caller holds on a catalog, schema or model (inherited downwards, with
ownership), the checks every operation makes, and the SQL conditions every listing embeds.

Effective privileges: on a catalog, the caller's (and its groups') grants on it, plus OWNER when one of them
owns it; on a schema, those of its catalog plus its own; on a model, those of its schema plus its own. An
owner of a catalog or schema therefore owns what is inside. Admins hold everything. Every operation needs
USE_CATALOG on the catalog and USE_SCHEMA on the schema (ALL_PRIVILEGES includes both; a catalog owner
needs neither, a schema owner still needs USE_CATALOG), then:
- read a model, its versions or files: EXECUTE (or MANAGE, ALL_PRIVILEGES, ownership);
- set or delete tags: APPLY_TAG (or MANAGE, ALL_PRIVILEGES, ownership);
- create a model: CREATE_MODEL or CREATE_FUNCTION on the schema (or ALL_PRIVILEGES, ownership);
- change a model (comment, aliases, versions, rename, delete) or its grants: ownership or MANAGE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from regista.errors import InvalidParameter, PermissionDenied
from regista.server.catalog.services import audit
from regista.server.catalog.stores import privileges as store
from regista.server.context import Context

OWNER = "OWNER"
USE_CATALOG = "USE_CATALOG"
USE_SCHEMA = "USE_SCHEMA"
CREATE_SCHEMA = "CREATE_SCHEMA"
CREATE_MODEL = "CREATE_MODEL"
CREATE_FUNCTION = "CREATE_FUNCTION"
EXECUTE = "EXECUTE"
APPLY_TAG = "APPLY_TAG"
MANAGE = "MANAGE"
ALL_PRIVILEGES = "ALL_PRIVILEGES"

# What may be granted on each securable type (a model is a `function` on the grants API).
GRANTABLE = {
    store.CATALOG: (USE_CATALOG, USE_SCHEMA, CREATE_SCHEMA, CREATE_MODEL, CREATE_FUNCTION, EXECUTE, APPLY_TAG,
                    MANAGE, ALL_PRIVILEGES),
    store.SCHEMA: (USE_SCHEMA, CREATE_MODEL, CREATE_FUNCTION, EXECUTE, APPLY_TAG, MANAGE, ALL_PRIVILEGES),
    store.FUNCTION: (EXECUTE, APPLY_TAG, MANAGE, ALL_PRIVILEGES),
}
READ = (EXECUTE, MANAGE, ALL_PRIVILEGES, OWNER)
TAG = (APPLY_TAG, MANAGE, ALL_PRIVILEGES, OWNER)
CREATE = (CREATE_MODEL, CREATE_FUNCTION, ALL_PRIVILEGES, OWNER)
CHANGE = (OWNER, MANAGE)
# Held on a catalog, these make its schemas visible (anything but what only concerns the catalog itself).
_SCHEMA_VISIBLE = tuple(p for p in GRANTABLE[store.CATALOG] if p not in (USE_CATALOG, CREATE_SCHEMA))


@dataclass(frozen=True)
class Ref:
    """A securable as the checks need it: its id and owner."""

    id: int
    owner_id: int | None


@dataclass(frozen=True)
class Held:
    """The caller's effective privileges at each level of one securable's path (admins: `admin`)."""

    admin: bool
    catalog: frozenset[str]
    schema: frozenset[str] = frozenset()
    model: frozenset[str] = frozenset()

    def uses_catalog(self) -> bool:
        return self.admin or bool(self.catalog & {USE_CATALOG, ALL_PRIVILEGES, OWNER})

    def uses_schema(self) -> bool:
        return self.uses_catalog() and (self.admin or bool(self.schema & {USE_SCHEMA, ALL_PRIVILEGES, OWNER}))

    def on_model(self, allowed: Sequence[str]) -> bool:
        return self.uses_schema() and (self.admin or bool(self.model & set(allowed)))

    def on_schema(self, allowed: Sequence[str]) -> bool:
        return self.uses_schema() and (self.admin or bool(self.schema & set(allowed)))

    def on_catalog(self, allowed: Sequence[str]) -> bool:
        return self.admin or bool(self.catalog & set(allowed))

    def sees_catalog(self) -> bool:
        return self.admin or bool(self.catalog)

    def sees_schema(self) -> bool:
        return self.uses_catalog() and (self.admin or bool(self.schema - {USE_CATALOG, CREATE_SCHEMA}))


def _owned(ctx: Context, owner_id: int | None) -> set[str]:
    return {OWNER} if owner_id is not None and owner_id in ctx.principal.grantee_ids else set()


def held(ctx: Context, catalog: Any, schema: Any | None = None, model: Any | None = None) -> Held:
    """Effective privileges on the path catalog → schema → model (rows with `id` and `owner_id`), in one
    query for the grants."""
    if ctx.principal.is_admin:
        return Held(True, frozenset())
    securables = [(store.CATALOG, catalog.id)]
    if schema is not None:
        securables.append((store.SCHEMA, schema.id))
    if model is not None:
        securables.append((store.FUNCTION, model.id))
    direct: dict[str, set[str]] = {store.CATALOG: set(), store.SCHEMA: set(), store.FUNCTION: set()}
    for securable_type, _, privilege in store.privileges_on(ctx.conn, securables, ctx.principal.grantee_ids):
        direct[securable_type].add(privilege)
    on_catalog = direct[store.CATALOG] | _owned(ctx, catalog.owner_id)
    on_schema = on_catalog | direct[store.SCHEMA] | (_owned(ctx, schema.owner_id) if schema is not None else set())
    on_model = on_schema | direct[store.FUNCTION] | (_owned(ctx, model.owner_id) if model is not None else set())
    return Held(False, frozenset(on_catalog), frozenset(on_schema), frozenset(on_model))


def deny(ctx: Context, action: str, securable_type: str, full_name: str, needs: str) -> PermissionDenied:
    """The PERMISSION_DENIED error for `action`, audited (in its own transaction: the request rolls back)."""
    audit.denied(ctx, action, securable_type, full_name)
    return PermissionDenied(f"User '{ctx.principal.name}' does not have {needs} on {securable_type} '{full_name}'.")


def require(ctx: Context, allowed: bool, action: str, securable_type: str, full_name: str, needs: str) -> None:
    if not allowed:
        raise deny(ctx, action, securable_type, full_name, needs)


def normalise_privilege(value: str, securable_type: str) -> str:
    """A privilege as the REST enum spells it (`USE CATALOG` → USE_CATALOG), refused unless grantable on
    the securable type."""
    privilege = value.strip().upper().replace(" ", "_")
    if privilege not in GRANTABLE[securable_type]:
        raise InvalidParameter(
            f"Privilege '{value}' cannot be granted on a {securable_type}; "
            f"valid privileges: {', '.join(GRANTABLE[securable_type])}."
        )
    return privilege


# -- the conditions listings embed (None: the caller sees everything) ---------------------------------------
# Each is the same expression for every caller (their identity ids are a bound parameter), so it is built
# once per dialect: building one costs more than the query it goes into.

def catalogs_visible(ctx: Context) -> Any | None:
    return None if ctx.principal.is_admin else _catalogs_condition(ctx.conn.dialect.name)


def schemas_visible(ctx: Context) -> Any | None:
    return None if ctx.principal.is_admin else _schemas_condition(ctx.conn.dialect.name)


def models_visible(ctx: Context) -> Any | None:
    """Models the caller may read: usable catalog and schema, and a read privilege (or ownership)."""
    return None if ctx.principal.is_admin else _models_condition(ctx.conn.dialect.name)


@cache
def _catalogs_condition(dialect: str) -> Any:
    return store.catalog_listed(dialect)


@cache
def _schemas_condition(dialect: str) -> Any:
    return store.catalog_usable(dialect, (USE_CATALOG, ALL_PRIVILEGES)) & store.schema_visible(
        dialect, _SCHEMA_VISIBLE
    )


@cache
def _models_condition(dialect: str) -> Any:
    return (
        store.catalog_usable(dialect, (USE_CATALOG, ALL_PRIVILEGES))
        & store.schema_usable(dialect, (USE_SCHEMA, ALL_PRIVILEGES))
        & store.model_readable(dialect, (EXECUTE, MANAGE, ALL_PRIVILEGES))
    )
