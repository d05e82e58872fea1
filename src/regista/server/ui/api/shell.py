"""The shell of the web UI: `/` (which turns the mlflow client's `/#/...` links into page paths), sign-in
with a personal access token, sign-out, and the static files (ours, and the charting library's JS from
the installed plotly package)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from regista.errors import EndpointNotFound, Unauthenticated
from regista.server.http.browser import SESSION_COOKIE, cookie
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.identity.services import sessions
from regista.server.ui.api.forms import Form
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import local_path, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SIGNIN_PATH = "/signin"
STATIC_PREFIX = "/static/"
STATIC = Path(__file__).resolve().parent.parent / "static"
# Third-party browser code comes from installed, pinned packages; never from the repository.
VENDOR = {"plotly.min.js": ("plotly", "package_data/plotly.min.js")}
# Paths the authentication middleware lets through without credentials.
OPEN_PATHS = ("/", SIGNIN_PATH)
OPEN_PREFIXES = (STATIC_PREFIX,)
HOME = "/models"


@router.get("/")
def home(request: Request, ctx: ReadCtx) -> Response:
    # Served without credentials: the page has no data, only the script that maps `/#/experiments/1` to
    # `/experiments/1` (a fragment never reaches the server), then the page asks for credentials itself.
    return render(request, "home.html", home=HOME)


@router.get(SIGNIN_PATH)
def signin_page(request: Request, ctx: ReadCtx, next: str = "") -> Response:
    if not request.app.state.settings.auth_enabled:
        return redirect(local_path(next, HOME))
    return render(request, "signin.html", next=local_path(next, HOME), error=None)


@router.post(SIGNIN_PATH)
def signin(request: Request, ctx: WriteCtx, form: Form) -> Response:
    target = local_path(form.get("next"), HOME)
    if not request.app.state.settings.auth_enabled:
        return redirect(target)
    try:
        session_secret, _ = sessions.start_session(ctx, form.get("token"))
    except Unauthenticated as err:
        return render(request, "signin.html", status_code=401, next=target, error=err.message)
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE, session_secret, path="/", httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
def signout(request: Request, ctx: WriteCtx) -> Response:
    # Reached only with a valid session and its CSRF token (the authentication middleware checks both).
    session_secret = cookie(request.scope, SESSION_COOKIE)
    if session_secret is not None:
        sessions.end_session(ctx, session_secret)
    response = redirect(SIGNIN_PATH, flash="You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get(STATIC_PREFIX + "vendor/{name}")
async def vendor_file(name: str) -> Response:
    if name not in VENDOR:
        raise EndpointNotFound()
    package, resource = VENDOR[name]
    return FileResponse(str(files(package).joinpath(resource)), headers={"Cache-Control": "max-age=86400"})


@router.get(STATIC_PREFIX + "{name}")
async def static_file(name: str) -> Response:
    # Only the files of ui/static itself (no sub-folders, no '..'): the names are checked against a listing.
    if name not in {p.name for p in STATIC.iterdir() if p.is_file()}:
        raise EndpointNotFound()
    return FileResponse(STATIC / name, headers={"Cache-Control": "max-age=3600"})
