"""The host-metadata document (/.well-known/databricks-config) every databricks-sdk client fetches."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client


def _sdk_warnings(caplog: pytest.LogCaptureFixture, url: str, token: str) -> list[str]:
    with caplog.at_level(logging.DEBUG, logger="databricks.sdk"):
        w = workspace_client(url, token)
        assert w.config.host == url
    return [r.getMessage() for r in caplog.records if r.name.startswith("databricks") and r.levelno >= logging.WARNING]


class TestDatabricksConfig:
    def test_workspace_client_starts_without_warnings(self, live_server, caplog: pytest.LogCaptureFixture) -> None:
        assert _sdk_warnings(caplog, live_server.url, "unused") == []

    def test_open_on_a_server_with_authentication(self, auth_server, caplog: pytest.LogCaptureFixture) -> None:
        # The SDK fetches the document before it sends credentials.
        r = httpx.get(f"{auth_server.url}/.well-known/databricks-config")
        assert r.status_code == 200 and r.json() == {}
        assert _sdk_warnings(caplog, auth_server.url, ADMIN_TOKEN) == []
        assert workspace_client(auth_server.url, ADMIN_TOKEN).current_user.me().user_name
