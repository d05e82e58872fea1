"""The catalog explorer (/catalog): catalogs, their schemas, a schema's models, a model's versions and a
version's lineage, each with its grants (changed here by owners and MANAGE holders), and Create catalog /
Create schema. Everything is read through the catalog domain's services, so a caller sees only what their
privileges show (filtered in the SQL) and a refused action is refused there too."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.server.catalog.schemas.requests import PermissionsChange
from regista.server.catalog.services import catalogs, grants, lineage, names, uc_search
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.ui.api.forms import Form
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import local_path, redirect, render, url_part

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CATALOG = "/catalog"
PAGE_SIZE = 50


def catalog_path(*parts: str) -> str:
    return "/".join([CATALOG, *(url_part(p) for p in parts)])


@router.get(CATALOG)
def catalogs_page(request: Request, ctx: ReadCtx, page_token: str = "") -> Response:
    page = catalogs.list_catalogs(ctx, PAGE_SIZE, page_token or None)
    return render(request, "catalog/catalogs.html", catalogs=page.items, next_page_token=page.next_page_token,
                  first_page=not page_token, may_create=ctx.principal.is_admin)


@router.post(CATALOG + "/catalogs")
def create_catalog(request: Request, ctx: WriteCtx, form: Form) -> Response:
    created = catalogs.create_catalog(ctx, form.required("name", "Catalog name"), form.optional("comment"))
    return redirect(catalog_path(created["name"]), flash=f"Catalog {created['name']} created.")


@router.get("/lineage")
def table_lineage_page(request: Request, ctx: ReadCtx, table: str = "") -> Response:
    """The versions (that the caller may read) trained on a table or dataset (outside /catalog/, where any
    word may be a catalog's name)."""
    found = lineage.versions_trained_on(ctx, table.strip()) if table.strip() else None
    return render(request, "catalog/lineage.html", table=table, versions=found)


@router.get(CATALOG + "/{catalog}")
def catalog_page(request: Request, ctx: ReadCtx, catalog: str, page_token: str = "") -> Response:
    info = catalogs.get_catalog(ctx, catalog)
    page = catalogs.list_schemas(ctx, info["name"], PAGE_SIZE, page_token or None)
    return render(request, "catalog/catalog.html", info=info, schemas=page.items,
                  next_page_token=page.next_page_token, first_page=not page_token,
                  grants=grants.grants_panel(ctx, "catalog", info["name"]), here=catalog_path(info["name"]))


@router.post(CATALOG + "/{catalog}/schemas")
def create_schema(request: Request, ctx: WriteCtx, form: Form, catalog: str) -> Response:
    created = catalogs.create_schema(ctx, catalog, form.required("name", "Schema name"), form.optional("comment"))
    return redirect(catalog_path(created["catalog_name"], created["name"]),
                    flash=f"Schema {created['full_name']} created.")


@router.get(CATALOG + "/{catalog}/{schema}")
def schema_page(request: Request, ctx: ReadCtx, catalog: str, schema: str, page_token: str = "") -> Response:
    info = catalogs.get_schema(ctx, names.join(catalog, schema))
    where = uc_search.in_schema(names.part(info["catalog_name"], "catalog"), names.part(info["name"], "schema"))
    page = uc_search.mlflow_models_page(
        ctx, uc_search.search_models(ctx, None, ["name ASC"], PAGE_SIZE, page_token or None, where))
    return render(request, "catalog/schema.html", info=info, models=page.items,
                  next_page_token=page.next_page_token, first_page=not page_token,
                  grants=grants.grants_panel(ctx, "schema", info["full_name"]),
                  here=catalog_path(info["catalog_name"], info["name"]))


@router.get(CATALOG + "/{catalog}/{schema}/{model}")
def model_page(request: Request, ctx: ReadCtx, catalog: str, schema: str, model: str,
               page_token: str = "") -> Response:
    found, info = uc_search.model_view(ctx, names.join(catalog, schema, model))
    versions = uc_search.mlflow_versions_page(
        ctx, uc_search.search_versions(ctx, None, PAGE_SIZE, page_token or None, uc_search.of_model(found.id)))
    parts = info["name"].split(".")
    return render(request, "catalog/model.html", info=info, parts=parts, versions=versions.items,
                  next_page_token=versions.next_page_token, first_page=not page_token,
                  grants=grants.grants_panel(ctx, "function", info["name"]), here=catalog_path(*parts))


@router.get(CATALOG + "/{catalog}/{schema}/{model}/versions/{version}")
def version_page(request: Request, ctx: ReadCtx, catalog: str, schema: str, model: str, version: str) -> Response:
    found, row, info = uc_search.version_view(ctx, names.join(catalog, schema, model), version)
    return render(request, "catalog/version.html", info=info, parts=info["name"].split("."),
                  sources=lineage.sources_of_version(ctx, found.id, row.version))


@router.post(CATALOG + "/grants")
def change_grant(request: Request, ctx: WriteCtx, form: Form) -> Response:
    """Grant (`op` add) or revoke (`op` remove) one privilege on one securable for one principal."""
    kind, full_name = form.required("securable_type", "Securable type"), form.required("full_name", "Name")
    principal, privilege = form.required("principal", "Principal"), form.required("privilege", "Privilege")
    adding = form.required("op", "Operation") == "add"
    change = PermissionsChange(principal=principal, add=[privilege] if adding else [],
                               remove=[] if adding else [privilege])
    grants.update_grants(ctx, kind, full_name, [change])
    verb = f"Granted {privilege} on {full_name} to" if adding else f"Revoked {privilege} on {full_name} from"
    return redirect(local_path(form.get("next"), CATALOG), flash=f"{verb} {principal}.")
