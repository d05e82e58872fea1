"""Admin › Audit log (/admin/audit, admins only): every Unity Catalog change and every denied access, newest
first, filtered by principal, securable, result or action, with paging."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.server.catalog.services import audit
from regista.server.http.deps import ReadCtx
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

AUDIT = "/admin/audit"
PAGE_SIZE = 100
FILTERS = ("principal", "full_name", "result", "action")


@router.get(AUDIT)
def audit_page(request: Request, ctx: ReadCtx, page_token: str = "") -> Response:
    filters = {key: (request.query_params.get(key) or "").strip() or None for key in FILTERS}
    page = audit.search(ctx, filters["principal"], filters["full_name"], filters["result"], filters["action"],
                        PAGE_SIZE, page_token or None)
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "admin/audit.html", entries=page.items, filters=filters,
                  next_page_token=page.next_page_token, first_page=not page_token,
                  here=f"{AUDIT}?{query}" if query else AUDIT)
