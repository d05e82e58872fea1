"""Fixtures of the web UI tests: one chromium per test process, pages signed in as a given caller on the
auth server (one per database backend, shared by the session), and the server without authentication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fixtures.browser import launch, new_page, sign_in
from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.live_server import LiveServer


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One chromium for every UI test of this process (each test gets its own context, so own cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """open_page(base_url, **context_options) -> a fresh page (own cookies); all are closed after the test."""
    pages: list[Any] = []

    def make(base_url: str, **options: Any) -> Any:
        page = new_page(browser, base_url, **options)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.context.close()


@pytest.fixture(scope="session")
def signed_in_states() -> dict[tuple[str, str], Any]:
    """Cookies of sessions already opened through the sign-in form, per (server, token): a test that needs
    the same caller again starts from them instead of signing in again (sign-in has its own tests)."""
    return {}


@pytest.fixture
def page_as(
    auth_server: LiveServer, open_page: Callable[..., Any], signed_in_states: dict[tuple[str, str], Any]
) -> Callable[..., Any]:
    """page_as(token, next_path="/models") -> a page signed in with `token` on the auth server (through the
    sign-in form the first time). Create callers with the `identities` fixture."""

    def make(token: str, next_path: str = "/models") -> Any:
        key = (auth_server.url, token)
        if key in signed_in_states:
            page = open_page(auth_server.url, storage_state=signed_in_states[key])
            page.goto(next_path)
            if "/signin" not in page.url:
                return page
        page = sign_in(open_page(auth_server.url), token, next_path)
        signed_in_states[key] = page.context.storage_state()
        return page

    return make


@pytest.fixture
def admin_page(page_as: Callable[..., Any]) -> Any:
    """A page signed in as the built-in admin on the auth server."""
    return page_as(ADMIN_TOKEN)


@pytest.fixture
def local_page(live_server: LiveServer, open_page: Callable[..., Any]) -> Any:
    """A page on the server without authentication (the loopback default): no sign-in, the caller is admin."""
    return open_page(live_server.url)


@pytest.fixture
def registry(auth_server: LiveServer, identities: Any) -> Iterator[Any]:
    """Raw registry calls to the auth server as the admin (tests/server/governance/governance_helpers.py):
    registry.model(versions=2) -> (name, id), registry.grant(id, caller, level), registry.stage(...)."""
    from tests.server.governance.governance_helpers import Registry

    helper = Registry(auth_server.url, identities)
    yield helper
    helper.close()
