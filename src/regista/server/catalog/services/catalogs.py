"""Catalogs and schemas: create (catalogs: admins; schemas: catalog owners, MANAGE or CREATE_SCHEMA holders),
get, list (filtered inside the query), update (comment, name, owner) and delete (`force` for non-empty ones)."""

from __future__ import annotations

import functools
from typing import Any

from regista.errors import AlreadyExists, InvalidParameter
from regista.server.catalog.schemas.uc_json import catalog_json, schema_json
from regista.server.catalog.services import audit, names
from regista.server.catalog.services import privileges as priv
from regista.server.catalog.services.owners import owner_id_for, owner_names
from regista.server.catalog.stores import privileges as grant_store
from regista.server.catalog.stores import securables as store
from regista.server.catalog.stores import uc_versions as version_store
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services.authz import require_admin
from regista.server.search.page_cursor import Page, paginate

MAX_RESULTS = 1000
CATALOG = grant_store.CATALOG
SCHEMA = grant_store.SCHEMA


def catalog_row(ctx: Context, name: str) -> Any:
    row = store.find_catalog(ctx.conn, names.part(name, "catalog"))
    if row is None:
        raise store.catalog_not_found(name)
    return row


def schema_row(ctx: Context, full_name: str) -> Any:
    c, s = names.full_name(full_name, 2)
    row = store.find_schema(ctx.conn, c, s)
    if row is None:
        raise store.schema_not_found(full_name)
    return row


def _catalog_of_schema(schema: Any) -> priv.Ref:
    return priv.Ref(schema.catalog_id, schema.catalog_owner_id)


def _stamp(ctx: Context) -> dict[str, Any]:
    return {"updated_at": now_ms(), "updated_by": ctx.principal.name}


def _view_catalog(ctx: Context, row: Any) -> dict[str, Any]:
    return catalog_json(row, owner_names(ctx, [row])[0])


def _view_schema(ctx: Context, row: Any) -> dict[str, Any]:
    return schema_json(row, owner_names(ctx, [row])[0])


def create_catalog(ctx: Context, name: str, comment: str | None) -> dict[str, Any]:
    require_admin(ctx, "create catalogs")
    name = names.part(name, "catalog")
    if store.find_catalog(ctx.conn, name) is not None:
        raise AlreadyExists(f"Catalog '{name}' already exists.")
    now = now_ms()
    store.insert_catalog(ctx.conn, {
        "name": name, "comment": comment, "owner_id": ctx.principal.identity_id, "created_at": now,
        "created_by": ctx.principal.name, "updated_at": now, "updated_by": ctx.principal.name,
    })
    audit.changed(ctx, "createCatalog", CATALOG, name)
    return _view_catalog(ctx, catalog_row(ctx, name))


def get_catalog(ctx: Context, name: str) -> dict[str, Any]:
    row = catalog_row(ctx, name)
    priv.require(ctx, priv.held(ctx, row).sees_catalog(), "getCatalog", CATALOG, row.name, "any privilege")
    return _view_catalog(ctx, row)


def list_catalogs(ctx: Context, max_results: int | None, page_token: str | None) -> Page[dict[str, Any]]:
    visible = priv.catalogs_visible(ctx)
    page = paginate(page_token, _page_size(max_results), lambda offset, n: store.list_catalogs(
        ctx.conn, visible, ctx.principal.grantee_ids, offset, n))
    return page.map(lambda rows: [catalog_json(r, o) for r, o in zip(rows, owner_names(ctx, rows), strict=True)])


def _page_size(max_results: int | None) -> int:
    if not max_results:
        return MAX_RESULTS
    if not 0 < max_results <= MAX_RESULTS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_RESULTS}, got {max_results}.")
    return max_results


def update_catalog(ctx: Context, name: str, new_name: str | None, comment: str | None,
                   owner: str | None) -> dict[str, Any]:
    row = catalog_row(ctx, name)
    held = priv.held(ctx, row)
    priv.require(ctx, held.on_catalog(priv.CHANGE), "updateCatalog", CATALOG, row.name, "ownership or MANAGE")
    values = _stamp(ctx)
    if comment is not None:
        values["comment"] = comment
    if owner is not None:
        values["owner_id"] = owner_id_for(ctx, owner)
    if new_name is not None and names.part(new_name, "catalog") != row.name:
        values["name"] = names.part(new_name, "catalog")
        if store.find_catalog(ctx.conn, values["name"]) is not None:
            raise AlreadyExists(f"Catalog '{values['name']}' already exists.")
    store.update_catalog(ctx.conn, row.id, values)
    audit.changed(ctx, "updateCatalog", CATALOG, row.name,
                  {k: v for k, v in (("new_name", new_name), ("owner", owner), ("comment", comment)) if v is not None})
    return _view_catalog(ctx, catalog_row(ctx, values.get("name", row.name)))


def delete_catalog(ctx: Context, name: str, force: bool) -> None:
    row = catalog_row(ctx, name)
    priv.require(ctx, priv.held(ctx, row).on_catalog((priv.OWNER,)), "deleteCatalog", CATALOG, row.name,
                 "ownership")
    if not force and store.count_schemas(ctx.conn, row.id):
        raise InvalidParameter(f"Catalog '{row.name}' is not empty; delete its schemas first or pass force=true.")
    schema_ids, model_ids = store.contents_of_catalog(ctx.conn, row.id)
    _forget_files(ctx, model_ids)
    grant_store.forget_securables(ctx.conn, [(CATALOG, row.id)] + [(SCHEMA, i) for i in schema_ids]
                                  + [(grant_store.FUNCTION, i) for i in model_ids])
    store.delete_catalog(ctx.conn, row.id)
    audit.changed(ctx, "deleteCatalog", CATALOG, row.name)


def _forget_files(ctx: Context, model_ids: list[int]) -> None:
    """The files of every version of the models go once the deletion has committed."""
    paths = version_store.storage_paths_of_models(ctx.conn, model_ids)
    for path in paths:
        ctx.after_commit(functools.partial(ctx.artifacts.delete, path))


# -- schemas ----------------------------------------------------------------------------------------------

def create_schema(ctx: Context, catalog: str, name: str, comment: str | None) -> dict[str, Any]:
    cat = catalog_row(ctx, catalog)
    name = names.part(name, "schema")
    held = priv.held(ctx, cat)
    priv.require(ctx, held.uses_catalog() and held.on_catalog((priv.OWNER, priv.MANAGE, priv.CREATE_SCHEMA,
                                                               priv.ALL_PRIVILEGES)),
                 "createSchema", CATALOG, cat.name, "USE_CATALOG and CREATE_SCHEMA")
    if store.find_schema(ctx.conn, cat.name, name) is not None:
        raise AlreadyExists(f"Schema '{cat.name}.{name}' already exists.")
    now = now_ms()
    store.insert_schema(ctx.conn, {
        "catalog_id": cat.id, "name": name, "comment": comment, "owner_id": ctx.principal.identity_id,
        "created_at": now, "created_by": ctx.principal.name, "updated_at": now, "updated_by": ctx.principal.name,
    })
    audit.changed(ctx, "createSchema", SCHEMA, f"{cat.name}.{name}")
    return _view_schema(ctx, schema_row(ctx, f"{cat.name}.{name}"))


def get_schema(ctx: Context, full_name: str) -> dict[str, Any]:
    row = schema_row(ctx, full_name)
    held = priv.held(ctx, _catalog_of_schema(row), row)
    priv.require(ctx, held.sees_schema(), "getSchema", SCHEMA, f"{row.catalog_name}.{row.name}",
                 "USE_CATALOG and a privilege on the schema")
    return _view_schema(ctx, row)


def list_schemas(ctx: Context, catalog: str, max_results: int | None,
                 page_token: str | None) -> Page[dict[str, Any]]:
    cat = catalog_row(ctx, catalog)
    visible = priv.schemas_visible(ctx)
    page = paginate(page_token, _page_size(max_results), lambda offset, n: store.list_schemas(
        ctx.conn, cat.id, visible, ctx.principal.grantee_ids, offset, n))
    return page.map(lambda rows: [schema_json(r, o) for r, o in zip(rows, owner_names(ctx, rows), strict=True)])


def update_schema(ctx: Context, full_name: str, new_name: str | None, comment: str | None,
                  owner: str | None) -> dict[str, Any]:
    row = schema_row(ctx, full_name)
    label = f"{row.catalog_name}.{row.name}"
    held = priv.held(ctx, _catalog_of_schema(row), row)
    priv.require(ctx, held.uses_catalog() and held.on_schema(priv.CHANGE) or held.admin, "updateSchema", SCHEMA,
                 label, "ownership or MANAGE")
    values = _stamp(ctx)
    if comment is not None:
        values["comment"] = comment
    if owner is not None:
        values["owner_id"] = owner_id_for(ctx, owner)
    if new_name is not None and names.part(new_name, "schema") != row.name:
        values["name"] = names.part(new_name, "schema")
        if store.find_schema(ctx.conn, row.catalog_name, values["name"]) is not None:
            raise AlreadyExists(f"Schema '{row.catalog_name}.{values['name']}' already exists.")
    store.update_schema(ctx.conn, row.id, values)
    audit.changed(ctx, "updateSchema", SCHEMA, label,
                  {k: v for k, v in (("new_name", new_name), ("owner", owner), ("comment", comment)) if v is not None})
    return _view_schema(ctx, schema_row(ctx, f"{row.catalog_name}.{values.get('name', row.name)}"))


def delete_schema(ctx: Context, full_name: str, force: bool) -> None:
    row = schema_row(ctx, full_name)
    label = f"{row.catalog_name}.{row.name}"
    held = priv.held(ctx, _catalog_of_schema(row), row)
    priv.require(ctx, held.admin or (held.uses_catalog() and priv.OWNER in held.schema), "deleteSchema", SCHEMA,
                 label, "ownership")
    if not force and store.count_models(ctx.conn, row.id):
        raise InvalidParameter(f"Schema '{label}' is not empty; delete its models first or pass force=true.")
    model_ids = store.model_ids_of_schema(ctx.conn, row.id)
    _forget_files(ctx, model_ids)
    grant_store.forget_securables(ctx.conn, [(SCHEMA, row.id)] + [(grant_store.FUNCTION, i) for i in model_ids])
    store.delete_schema(ctx.conn, row.id)
    audit.changed(ctx, "deleteSchema", SCHEMA, label)
