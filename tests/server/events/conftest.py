"""Fixtures of the events tests: receivers, and servers that may call them (REGISTA_WEBHOOK_ALLOW_PRIVATE,
since the receivers listen on loopback) and look at the outbox often."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.identities import ADMIN_TOKEN, IdentityFactory
from tests.fixtures.live_server import LiveServer, start_server
from tests.server.events.receivers import HttpReceiver, SmtpReceiver

EVENTS_ENV = {
    "REGISTA_WEBHOOK_ALLOW_PRIVATE": "true",
    "REGISTA_EVENTS_POLL_INTERVAL": "0.2",
    "REGISTA_WEBHOOK_TIMEOUT": "5",
}


@pytest.fixture(scope="session")
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def events_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server without authentication (every caller is the admin) that may call local receivers."""
    tmp = tmp_path_factory.mktemp(f"events-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp, env=EVENTS_ENV)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def events_auth_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpReceiver
) -> Iterator[LiveServer]:
    """An --auth server (admin token ADMIN_TOKEN) that may call local receivers and mails through `smtp`."""
    tmp = tmp_path_factory.mktemp(f"events-auth-{backend}")
    env = {**EVENTS_ENV, "REGISTA_ADMIN_TOKEN": ADMIN_TOKEN, "REGISTA_SMTP_URL": smtp.url,
           "REGISTA_SMTP_FROM": "registry@regista.test", "REGISTA_PUBLIC_URL": "https://regista.test"}
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp, "--auth", env=env)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def events_identities(events_auth_server: LiveServer) -> Iterator[IdentityFactory]:
    assert events_auth_server.database_url is not None
    factory = IdentityFactory(events_auth_server.database_url)
    yield factory
    factory.close()
