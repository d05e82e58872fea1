"""Every route the application serves answers 401 without a token on a `--auth` server (before routing):
the route table is read from the app itself, so a route added later is covered without editing this test."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import httpx
import pytest

from regista.server.app import create_app
from regista.server.catalog.api import uploads
from regista.server.http.authentication import OPEN_PATHS, OPEN_PREFIXES
from regista.server.settings import Settings
from regista.server.ui.api import shell
from tests.fixtures.wire import assert_error


def _routes(tmp: Path) -> list[tuple[str, str]]:
    # Building the app only reads its route table: no lifespan runs, so the database is never touched.
    app = create_app(Settings(data_dir=tmp, auth=True))
    found: set[tuple[str, str]] = set()
    pending = [("", route) for route in app.router.routes]
    while pending:
        prefix, route = pending.pop()
        inner = getattr(route, "_by_path", None)  # the exact-path index holds its routes itself
        if inner is not None:
            pending.extend(("", r) for routes in inner.values() for r in routes)
            continue
        included = getattr(route, "original_router", None)  # FastAPI's record of an included router
        if included is not None:
            child_prefix = prefix + route.include_context.prefix
            pending.extend((child_prefix, r) for r in included.routes)
            continue
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or ():
            full = prefix + str(path)
            # The web UI's sign-in page, `/` (a script that maps `/#/...` links) and its static files are open;
            # so are multipart upload parts, whose URL carries the upload session's token instead
            # (tests/server/catalog/test_uc_multipart.py checks that a forged token reaches nothing).
            open_paths = OPEN_PATHS | set(shell.OPEN_PATHS)
            if path is not None and method != "HEAD" and full not in open_paths and not full.startswith(
                OPEN_PREFIXES + shell.OPEN_PREFIXES + (uploads.PARTS + "/",)
            ):
                found.add((method, re.sub(r"\{[^}]+\}", "1", full)))
    return sorted(found)


with tempfile.TemporaryDirectory() as _tmp:
    ROUTES = _routes(Path(_tmp))


def test_the_route_table_is_not_trivially_small() -> None:
    # The MLflow and Databricks APIs together are well over a hundred method/path pairs.
    assert len(ROUTES) > 150


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_needs_a_token(auth_server, method: str, path: str) -> None:
    response = httpx.request(method, f"{auth_server.url}{path}", json={} if method != "GET" else None)
    assert_error(response, 401, "UNAUTHENTICATED")
