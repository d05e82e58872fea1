"""The Models page (/models): the registered models the caller may read, searched by a name fragment or
the filter grammar, paged, with Create model and, for admins, the registry-wide Permissions."""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import PermissionDenied
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.permissions.services import authz
from regista.server.registry.schemas.registered_models import SearchRegisteredModels
from regista.server.registry.services import registered_models
from regista.server.ui.api.forms import Form
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.permissions import permissions_panel
from regista.server.ui.api.rendering import redirect, render, url_part

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 25
# A search that uses the grammar's words or operators is a filter; anything else is a name fragment.
_FILTER = re.compile(r"(=|<|>|\bLIKE\b|\bILIKE\b|\bIN\b|\btags\.|\bname\b)", re.IGNORECASE)


def search_filter(query: str) -> str | None:
    """The filter for the search box: the text itself when it is a filter, else `name ILIKE '%text%'`."""
    query = query.strip()
    if not query:
        return None
    if _FILTER.search(query):
        return query
    quote = '"' if "'" in query else "'"
    return f"name ILIKE {quote}%{query.replace(quote, '')}%{quote}"


def may_create_models(ctx: ReadCtx) -> bool:
    try:
        authz.require_create_registered_model(ctx)
    except PermissionDenied:
        return False
    return True


@router.get("/models")
def models_page(request: Request, ctx: ReadCtx, q: str = "", page_token: str = "") -> Response:
    query = SearchRegisteredModels(
        filter=search_filter(q), max_results=PAGE_SIZE, order_by=["name ASC"], page_token=page_token or None
    )
    page = registered_models.search_registered_models(ctx, query)
    root_permissions = None
    if ctx.principal.is_admin:
        root_permissions = permissions_panel(ctx, authz.REGISTERED_MODELS, authz.ROOT, "/models")
    return render(
        request, "models/list.html", models=page.items, next_page_token=page.next_page_token, q=q,
        first_page=not page_token, may_create=may_create_models(ctx), root_permissions=root_permissions,
    )


@router.post("/models")
def create_model(request: Request, ctx: WriteCtx, form: Form) -> Response:
    name = form.required("name", "Model name")
    registered_models.create_registered_model(ctx, name, {}, form.optional("description"))
    return redirect(f"/models/{url_part(name)}", flash=f"Model {name} created.")
