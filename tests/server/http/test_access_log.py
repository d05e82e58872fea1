"""The access log: one JSON line per request (method, path, status, duration_ms, principal) on the server's
stderr, on by default, never carrying a token or a query string; off with --no-access-log."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx

from tests.fixtures.live_server import start_server


def access_lines(log: Path, path: str) -> list[dict]:
    """The access-log entries for `path`, waiting briefly: the line is written just after the response."""
    deadline = time.monotonic() + 10
    while True:
        entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        found = [e for e in entries if e.get("logger") == "regista.access" and e["path"] == path]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


class TestAccessLog:
    def test_one_line_with_the_authenticated_principal(self, auth_server, identities) -> None:
        user = identities.user()
        name = f"missing-{uuid.uuid4().hex}"
        response = httpx.get(f"{auth_server.url}/api/2.0/mlflow/registered-models/get", params={"name": name},
                             headers={"Authorization": f"Bearer {user.token}"})
        assert response.status_code == 404
        log = auth_server.data_dir / "server.log"
        entries = [e for e in access_lines(log, "/api/2.0/mlflow/registered-models/get")
                   if e["principal"] == user.name]
        assert len(entries) == 1
        (entry,) = entries
        assert (entry["level"], entry["method"], entry["status"]) == ("INFO", "GET", 404)
        assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
        assert set(entry) == {"time", "level", "logger", "pid", "method", "path", "status", "duration_ms",
                              "principal"}
        assert entry["pid"] == auth_server.process.pid
        text = log.read_text()
        assert user.token not in text and name not in text

    def test_a_rejected_token_is_logged_as_anonymous_401_without_the_token(self, auth_server) -> None:
        bogus = "dapi" + uuid.uuid4().hex
        path = f"/api/2.0/mlflow/experiments/{uuid.uuid4().hex}"
        response = httpx.post(f"{auth_server.url}{path}", headers={"Authorization": f"Bearer {bogus}"}, json={})
        assert response.status_code == 401
        (entry,) = access_lines(auth_server.data_dir / "server.log", path)
        assert (entry["method"], entry["status"], entry["principal"]) == ("POST", 401, "anonymous")
        assert bogus not in (auth_server.data_dir / "server.log").read_text()

    def test_no_access_log_flag_turns_it_off(self, tmp_path) -> None:
        server = start_server("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, "--no-access-log")
        try:
            assert httpx.get(f"{server.url}/api/2.0/mlflow/experiments/get",
                             params={"experiment_id": "0"}).status_code == 200
        finally:
            server.stop()
        assert "regista.access" not in (tmp_path / "server.log").read_text()

    def test_log_level_warning_silences_it(self, tmp_path) -> None:
        server = start_server("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                              env={"REGISTA_LOG_LEVEL": "warning"})
        try:
            assert httpx.get(f"{server.url}/health").status_code == 200
        finally:
            server.stop()
        assert "regista.access" not in (tmp_path / "server.log").read_text()
