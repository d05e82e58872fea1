"""`regista server` authentication modes: off on loopback by default, on by default beyond loopback, and
no unauthenticated server beyond loopback unless the operator explicitly opts out."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.fixtures.live_server import free_port, start_server


def _server_cmd(tmp_path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "regista.cli.main", "server", "--port", str(free_port()),
            "--data-dir", str(tmp_path), *extra]


class TestRefusal:
    def test_no_auth_on_all_interfaces_is_refused(self, tmp_path) -> None:
        result = subprocess.run(_server_cmd(tmp_path, "--host", "0.0.0.0", "--no-auth"),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert "refusing to listen on 0.0.0.0 without authentication" in result.stderr
        assert "--allow-unauthenticated-remote" in result.stderr

    def test_no_auth_from_the_environment_is_refused_too(self, tmp_path) -> None:
        env = {"REGISTA_HOST": "0.0.0.0", "REGISTA_AUTH": "false"}
        result = subprocess.run(_server_cmd(tmp_path), capture_output=True, text=True, timeout=60,
                                env={**os.environ, **env})
        assert result.returncode == 2
        assert "without authentication" in result.stderr


class TestDefaults:
    def test_loopback_default_is_the_single_user_embedded_server(self, tmp_path) -> None:
        server = start_server("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
        try:
            response = httpx.get(f"{server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
            assert response.status_code == 200
        finally:
            server.stop()

    def test_beyond_loopback_authentication_is_on_by_default(self, tmp_path) -> None:
        server = start_server("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, "--host", "0.0.0.0")
        try:
            response = httpx.get(f"{server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
            assert response.status_code == 401
            assert response.json()["error_code"] == "UNAUTHENTICATED"
        finally:
            server.stop()

    def test_explicit_opt_out_starts_without_authentication(self, tmp_path) -> None:
        server = start_server("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                              "--host", "0.0.0.0", "--no-auth", "--allow-unauthenticated-remote")
        try:
            response = httpx.get(f"{server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
            assert response.status_code == 200
        finally:
            server.stop()
