"""GRANT / REVOKE on catalogs, schemas and models (`function`), the direct and the effective (inherited)
privilege assignments of a securable. Changing grants needs ownership or MANAGE on the securable (inherited
from its schema and catalog), reading them that the caller can see it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from regista.errors import InvalidParameter
from regista.server.catalog.services import audit, catalogs, grant_pages, names
from regista.server.catalog.services import privileges as priv
from regista.server.catalog.services.owners import owner_id_for
from regista.server.catalog.services.uc_models import find_row as find_model
from regista.server.catalog.services.uc_models import held_on as model_held
from regista.server.catalog.stores import privileges as store
from regista.server.context import Context

_TYPES = {"catalog": store.CATALOG, "schema": store.SCHEMA, "function": store.FUNCTION,
          "registered_model": store.FUNCTION, "model": store.FUNCTION}


@dataclass(frozen=True)
class Securable:
    """A securable and its parents as (type, id, full name), from the top down, and the caller's privileges."""

    type: str
    full_name: str
    path: list[tuple[str, int, str]]
    held: priv.Held

    @property
    def id(self) -> int:
        return self.path[-1][1]


def securable_type(value: str) -> str:
    kind = _TYPES.get(value.strip().lower())
    if kind is None:
        raise InvalidParameter(f"Unsupported securable type '{value}': use catalog, schema or function.")
    return kind


def resolve(ctx: Context, kind: str, full_name: str) -> Securable:
    if kind == store.CATALOG:
        row = catalogs.catalog_row(ctx, full_name)
        return Securable(kind, row.name, [(store.CATALOG, row.id, row.name)], priv.held(ctx, row))
    if kind == store.SCHEMA:
        row = catalogs.schema_row(ctx, full_name)
        label = names.join(row.catalog_name, row.name)
        held = priv.held(ctx, priv.Ref(row.catalog_id, row.catalog_owner_id), row)
        return Securable(kind, label, [(store.CATALOG, row.catalog_id, row.catalog_name),
                                       (store.SCHEMA, row.id, label)], held)
    row = find_model(ctx, full_name)
    label = names.join(row.catalog_name, row.schema_name, row.name)
    return Securable(kind, label, [(store.CATALOG, row.catalog_id, row.catalog_name),
                                   (store.SCHEMA, row.schema_id, names.join(row.catalog_name, row.schema_name)),
                                   (store.FUNCTION, row.id, label)], model_held(ctx, row))


def _may_change(s: Securable) -> bool:
    if s.type == store.CATALOG:
        return s.held.on_catalog(priv.CHANGE)
    if s.type == store.SCHEMA:
        return s.held.uses_catalog() and s.held.on_schema(priv.CHANGE) or s.held.admin
    return s.held.on_model(priv.CHANGE)


def _may_see(s: Securable) -> bool:
    if s.type == store.CATALOG:
        return s.held.sees_catalog()
    if s.type == store.SCHEMA:
        return s.held.sees_schema()
    return s.held.on_model(priv.READ)


def _principal_filter(ctx: Context, principal: str | None) -> int | None:
    return owner_id_for(ctx, principal) if principal is not None else None


def _grouped(rows: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """(principal, its rows) in the order of the rows (ordered by principal)."""
    out: list[tuple[str, list[Any]]] = []
    for row in rows:
        if not out or out[-1][1][0].identity_id != row.identity_id:
            out.append((row.principal, []))
        out[-1][1].append(row)
    return out


def get_grants(ctx: Context, type_name: str, full_name: str, principal: str | None,
               max_results: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    """The direct privilege assignments on the securable, ordered by principal; paged as grant_pages says."""
    s = resolve(ctx, securable_type(type_name), full_name)
    priv.require(ctx, _may_see(s), "getPermissions", s.type, s.full_name, "a privilege")
    identity_id = _principal_filter(ctx, principal)
    found = grant_pages.page(
        lambda after, limit: store.grants_on(ctx.conn, [(s.type, s.id)], identity_id, after, limit),
        max_results, page_token,
    )
    return found.map(lambda rows: [
        {"principal": name, "privileges": sorted(r.privilege for r in group)} for name, group in _grouped(rows)
    ]).body("privilege_assignments")


def get_effective(ctx: Context, type_name: str, full_name: str, principal: str | None,
                  max_results: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    """Direct and inherited assignments, each inherited one naming the securable it comes from; ordered by
    principal and paged as grant_pages says."""
    s = resolve(ctx, securable_type(type_name), full_name)
    priv.require(ctx, _may_see(s), "getEffectivePermissions", s.type, s.full_name, "a privilege")
    identity_id = _principal_filter(ctx, principal)
    labels = {(t, i): label for t, i, label in s.path}
    found = grant_pages.page(
        lambda after, limit: store.grants_on(ctx.conn, [(t, i) for t, i, _ in s.path], identity_id, after, limit),
        max_results, page_token,
    )

    def entry(row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"privilege": row.privilege}
        if (row.securable_type, row.securable_id) != (s.type, s.id):
            out["inherited_from_type"] = row.securable_type.upper()
            out["inherited_from_name"] = labels[(row.securable_type, row.securable_id)]
        return out

    return found.map(lambda rows: [
        {"principal": name, "privileges": [entry(r) for r in group]} for name, group in _grouped(rows)
    ]).body("privilege_assignments")


def update_grants(ctx: Context, type_name: str, full_name: str, changes: Sequence[Any]) -> dict[str, Any]:
    """Apply `changes` ([{principal, add, remove}]) at once; ownership or MANAGE on the securable."""
    s = resolve(ctx, securable_type(type_name), full_name)
    priv.require(ctx, _may_change(s), "updatePermissions", s.type, s.full_name, "ownership or MANAGE")
    for change in changes:
        if not change.principal:
            raise InvalidParameter("Each change must name a principal.")
        identity_id = owner_id_for(ctx, change.principal)
        add = [(identity_id, priv.normalise_privilege(p, s.type)) for p in change.add or []]
        remove = [(identity_id, priv.normalise_privilege(p, s.type)) for p in change.remove or []]
        store.add_grants(ctx.conn, s.type, s.id, add)
        store.remove_grants(ctx.conn, s.type, s.id, remove)
        audit.changed(ctx, "updatePermissions", s.type, s.full_name, {
            "principal": change.principal, "add": [p for _, p in add], "remove": [p for _, p in remove]})
    return get_grants(ctx, type_name, full_name, None)


def grants_panel(ctx: Context, type_name: str, full_name: str) -> dict[str, Any] | None:
    """What the web UI's grants panel shows of a securable: its direct grants, whether the caller may change
    them, and what may be granted on it; None when the caller may not see its grants."""
    s = resolve(ctx, securable_type(type_name), full_name)
    if not _may_see(s):
        return None
    return {**get_grants(ctx, type_name, full_name, None), "may_change": _may_change(s),
            "grantable": list(priv.GRANTABLE[s.type]), "securable_type": type_name, "full_name": s.full_name}
