"""Settings (/settings): the caller's personal access tokens (Generate new token shows the value once, in the
answer to the form post itself: never in a URL, a cookie or a log; the list; Revoke) and their switch for
every Model Registry e-mail notification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista.schemas.numbers import parse_int
from regista.server.events.services import notifications
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.identity.services import tokens
from regista.server.ui.api.forms import Form
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DAY_SECONDS = 86400


def _page(request: Request, ctx: ReadCtx, new_token: dict[str, Any] | None = None) -> Response:
    listed = sorted(tokens.list_tokens(ctx), key=lambda t: t["creation_time"], reverse=True)
    return render(request, "settings/tokens.html", tokens=listed, new_token=new_token,
                  emails_on=notifications.get_user_level(ctx) == "SUBSCRIBED")


@router.get("/settings")
def settings_page(request: Request, ctx: ReadCtx) -> Response:
    return _page(request, ctx)


@router.post("/settings/tokens")
def generate_token(request: Request, ctx: WriteCtx, form: Form) -> Response:
    days = form.optional("lifetime_days")
    lifetime = None if days is None else parse_int(days, "lifetime_days", 1, 36500) * DAY_SECONDS
    created = tokens.create_token(ctx, lifetime, form.optional("comment"))
    # Rendered, not redirected: the value is shown this once and exists nowhere else.
    response = _page(request, ctx, new_token=created)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(request: Request, ctx: WriteCtx, token_id: str) -> Response:
    tokens.delete_token(ctx, token_id)
    return redirect("/settings", flash="Token revoked.")


@router.post("/settings/notifications")
def set_notifications(request: Request, ctx: WriteCtx, form: Form) -> Response:
    on = form.checked("emails")
    notifications.set_user_level(ctx, "SUBSCRIBED" if on else "UNSUBSCRIBED")
    return redirect("/settings", flash="Model Registry e-mail notifications " + ("on." if on else "off."))
