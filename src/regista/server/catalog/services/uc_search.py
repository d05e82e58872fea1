"""Searching Unity Catalog models and versions. What the caller may not read is filtered inside the query.
Beyond Databricks, the filters of MLflow's registry search work here too: `name` (the full name) with
=, !=, LIKE, ILIKE; `tags.<key>` with =, !=, LIKE, ILIKE; `catalog_name` / `schema_name`; for versions also
`run_id`, `source` and `version_number`; combined with AND and OR; `order_by` name and timestamps."""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from regista.errors import InvalidParameter
from regista.server.catalog.services import privileges as priv
from regista.server.catalog.services import uc_models, uc_versions, views
from regista.server.catalog.services.uc_models import Model
from regista.server.catalog.stores import uc_filter
from regista.server.catalog.stores import uc_models as model_store
from regista.server.catalog.stores import uc_versions as version_store
from regista.server.context import Context
from regista.server.search.filter_parser import parse_filter
from regista.server.search.page_cursor import Page, paginate

MAX_MODELS = 1000
MAX_VERSIONS = 10000
in_schema = uc_filter.in_schema
of_model = uc_filter.of_model


def search_models(ctx: Context, filter_string: str | None, order_by: list[str] | None, max_results: int | None,
                  page_token: str | None, where: list[ColumnElement[bool]] | None = None) -> Page[Any]:
    """A page of model rows the caller may read."""
    limit = max_results or 100
    if not 1 <= limit <= MAX_MODELS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_MODELS}, got {limit}.")
    conditions = (where or []) + uc_filter.conditions(parse_filter(filter_string, allow_or=True), versions=False)
    visible = priv.models_visible(ctx)
    ordering = uc_filter.order_by(order_by)
    return paginate(page_token, limit, lambda offset, n: model_store.search_models(
        ctx.conn, conditions, visible, ctx.principal.grantee_ids, ordering, offset, n))


def search_versions(ctx: Context, filter_string: str | None, max_results: int | None, page_token: str | None,
                    where: list[ColumnElement[bool]] | None = None) -> Page[Any]:
    """A page of version rows (with their model's names) the caller may read, newest first."""
    limit = max_results or 100
    if not 1 <= limit <= MAX_VERSIONS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_VERSIONS}, got {limit}.")
    node = parse_filter(filter_string, allow_or=True)
    visible = priv.models_visible(ctx)
    named = None if where else uc_filter.named_model(node)
    if named is not None:
        return paginate(page_token, limit, lambda offset, n: version_store.search_named_versions(
            ctx.conn, named, visible, ctx.principal.grantee_ids, offset, n))
    conditions = (where or []) + uc_filter.conditions(node, versions=True)
    return paginate(page_token, limit, lambda offset, n: version_store.search_versions(
        ctx.conn, conditions, visible, ctx.principal.grantee_ids, offset, n))


def mlflow_models_page(ctx: Context, page: Page[Any]) -> Page[dict[str, Any]]:
    return page.map(lambda rows: views.mlflow_models(ctx, rows))


def mlflow_versions_page(ctx: Context, page: Page[Any]) -> Page[dict[str, Any]]:
    return page.map(lambda rows: views.mlflow_versions(ctx, [(views.full_name(r), r) for r in rows]))


def model_view(ctx: Context, full_name: str) -> tuple[Model, dict[str, Any]]:
    """A model the caller may read, and its mlflow RegisteredModel view (tags, aliases)."""
    model = uc_models.readable(ctx, full_name)
    return model, views.mlflow_models(ctx, [model.row])[0]


def version_view(ctx: Context, full_name: str, version: str) -> tuple[Model, Any, dict[str, Any]]:
    """A version of a model the caller may read, its row and its mlflow ModelVersion view."""
    model, row = uc_versions.get_version(ctx, full_name, version)
    return model, row, views.mlflow_versions(ctx, [(views.full_name(model.row), row)])[0]
