"""Rendering pages: the Jinja2 environment, `render` (a page with the shell's variables), `redirect` with a
flash message, and the caller facts templates use to show or hide actions."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from regista import __version__
from regista.server.http.authentication import PRINCIPAL_KEY
from regista.server.http.browser import CSRF_FIELD, CSRF_KEY
from regista.server.http.deps import current_principal
from regista.server.principal import Principal

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# A one-shot message for the next page (set by a redirect after a form post, shown once, then cleared).
FLASH_COOKIE = "regista_flash"
FLASH_KINDS = ("info", "error")


def url_part(value: object) -> str:
    """A value as one URL path segment (a model name with '/' or spaces stays one segment)."""
    return quote(str(value), safe="")


def iso_time(ms: object) -> str:
    """Epoch milliseconds as UTC ISO 8601: the text a page shows until its script formats the time in the
    viewer's time zone (templates write `<time data-ms="{{ ms }}">{{ ms|iso }}</time>`)."""
    if not isinstance(ms, int) or ms <= 0:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["u"] = url_part
    env.filters["iso"] = iso_time
    env.globals["version"] = __version__
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    return env


def viewer(request: Request) -> Principal | None:
    """Who is looking at the page: the built-in admin when authentication is off; None on the open pages
    (sign-in, `/`) when it is on."""
    if auth_enabled(request) and request.scope.get(PRINCIPAL_KEY) is None:
        return None
    return current_principal(request)


def auth_enabled(request: Request) -> bool:
    return bool(request.app.state.settings.auth_enabled)


def _flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, message = unquote(raw).partition(":")
    return {"kind": kind if kind in FLASH_KINDS else "info", "message": message[:1000]}


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    """The page `template` (which extends base.html) with `values` and the shell's variables: `viewer` (the caller),
    `csrf` (for every form), `auth_enabled`, `flash` (the message a redirect left), `path`."""
    flash = _flash(request)
    shell = {
        "viewer": viewer(request),
        "csrf": request.scope.get(CSRF_KEY, ""),
        "auth_enabled": auth_enabled(request),
        "flash": flash,
        "path": request.url.path,
    }
    html = environment().get_template(template).render({**shell, **values})
    response = HTMLResponse(html, status_code=status_code)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this server (so a form's `next` can never send the browser elsewhere)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(location: str, flash: str | None = None, kind: str = "info") -> Response:
    """303 to `location` (after a form post), leaving `flash` for the next page to show once."""
    response = RedirectResponse(location, status_code=303)
    if flash is not None:
        response.set_cookie(
            FLASH_COOKIE, quote(f"{kind}:{flash}"[:1500], safe=""), path="/", httponly=True, samesite="lax"
        )
    return response
