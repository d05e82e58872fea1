"""PageRoute: the route class of every web UI page. Errors the services raise become pages, not JSON:
a GET shows an error page with the error's status; a failed form post goes back to the page it came from
with the message shown there (its transaction has already been rolled back)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from regista.errors import PermissionDenied, RegistaError
from regista.server.http.routing import TransactionalRoute
from regista.server.ui.api.rendering import local_path, redirect, render

TITLES = {400: "That did not work", 401: "Sign in", 403: "Not allowed", 404: "Not found", 409: "Conflict"}


def error_page(request: Request, err: RegistaError) -> Response:
    status = err.http_status
    title = TITLES.get(status, "Something went wrong")
    return render(request, "error.html", status_code=status, title=title, message=err.message)


def _came_from(request: Request) -> str | None:
    """The page a form was posted from (the Referer, when it is this server's)."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc != request.url.netloc:
        return None
    path = parts.path + ("?" + parts.query if parts.query else "")
    return local_path(path, "") or None


class PageRoute(TransactionalRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            if request.method not in ("GET", "HEAD") and request.headers.get("sec-fetch-site") == "cross-site":
                # Browsers label a request another site's page made; such a post is refused even when
                # authentication is off (on a loopback server any web page could otherwise post forms to
                # it). With authentication on, the middleware's CSRF token check has refused it already.
                return error_page(request, PermissionDenied("A form posted from another site is refused."))
            try:
                return await handler(request)
            except RegistaError as err:
                back = _came_from(request) if request.method == "POST" else None
                if back is not None:
                    return redirect(back, flash=err.message, kind="error")
                return error_page(request, err)

        return page
