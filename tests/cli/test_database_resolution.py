"""Data commands (tokens, users, db) find the database exactly as `regista server` does, and refuse to create
one unless asked (`--create`): a token printed for a database the server does not use would be rejected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGISTA_")}
    return subprocess.run([sys.executable, "-m", "regista.cli.main", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**clean, **(env or {})})


def accepted(url: str, token: str) -> bool:
    response = httpx.get(f"{url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                         headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200


DATA_COMMANDS = [
    ("tokens", "create", "--user", "admin"),
    ("tokens", "list"),
    ("tokens", "revoke", "0123"),
    ("users", "create", "someone@example.com"),
    ("users", "list"),
    ("db", "current"),
    ("db", "upgrade"),
]


class TestMissingSqliteDatabase:
    @pytest.mark.parametrize("command", DATA_COMMANDS, ids=lambda c: " ".join(c[:2]))
    def test_another_folder_is_refused_and_nothing_is_created(self, tmp_path, command) -> None:
        result = run(*command, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stdout == ""
        expected = tmp_path.resolve() / "regista-data" / "regista.db"
        assert f"no regista database at {expected}" in result.stderr
        assert "--data-dir" in result.stderr and "--backend-store-uri" in result.stderr
        assert list(tmp_path.iterdir()) == []

    def test_the_message_names_the_variable_that_chose_the_folder(self, tmp_path) -> None:
        result = run("users", "list", cwd=tmp_path, env={"REGISTA_DATA_DIR": str(tmp_path / "elsewhere")})
        assert result.returncode == 1
        assert f"{tmp_path.resolve() / 'elsewhere' / 'regista.db'} (in $REGISTA_DATA_DIR)" in result.stderr
        assert not (tmp_path / "elsewhere").exists()

    def test_create_flag_makes_the_database_and_the_user(self, tmp_path) -> None:
        created = run("users", "create", "first@example.com", "--admin", "--data-dir", "data", "--create",
                      cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        assert (tmp_path / "data" / "regista.db").exists()
        listed = run("users", "list", "--data-dir", "data", cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert "first@example.com" in listed.stdout


class TestDatabaseWithoutSchema:
    def test_is_refused_unless_create(self, backend, tmp_path) -> None:
        """An existing but empty database (an empty SQLite file, a fresh PostgreSQL database)."""
        with database_url(backend, tmp_path) as url:
            if backend == "sqlite":
                (tmp_path / "regista.db").touch()
            refused = run("tokens", "create", "--user", "admin", "--backend-store-uri", url, cwd=tmp_path)
            assert refused.returncode == 1
            assert "has no regista schema" in refused.stderr and "--create" in refused.stderr
            assert "(from --backend-store-uri)" in refused.stderr
            assert run("db", "current", "--backend-store-uri", url, cwd=tmp_path).stdout.endswith("state: empty\n")
            created = run("tokens", "create", "--user", "admin", "--backend-store-uri", url, "--create",
                          cwd=tmp_path)
            assert created.returncode == 0, created.stderr
            assert created.stdout.startswith("dapi")


class TestSameDatabaseAsTheServer:
    def test_a_cli_token_is_accepted_by_the_server_using_the_same_settings(self, backend, tmp_path) -> None:
        """SQLite: the server's default database in --data-dir; PostgreSQL: $REGISTA_BACKEND_STORE_URI."""
        data = tmp_path / "data"
        with database_url(backend, tmp_path) as url:
            if backend == "sqlite":
                server = start_server(backend, None, data, "--auth")
                flags: tuple[str, ...] = ("--data-dir", str(data))
                env: dict[str, str] = {}
            else:
                server = start_server(backend, url, data, "--auth")
                flags, env = (), {"REGISTA_BACKEND_STORE_URI": url}
            try:
                created = run("tokens", "create", "--user", "admin", *flags, cwd=tmp_path, env=env)
                assert created.returncode == 0, created.stderr
                assert accepted(server.url, created.stdout.strip())
            finally:
                server.stop()

    def test_the_data_dir_variable_reaches_the_servers_default_database(self, tmp_path) -> None:
        data = tmp_path / "data"
        server = start_server("sqlite", None, data, "--auth")
        try:
            created = run("tokens", "create", "--user", "admin", cwd=tmp_path, env={"REGISTA_DATA_DIR": str(data)})
            assert created.returncode == 0, created.stderr
            assert accepted(server.url, created.stdout.strip())
        finally:
            server.stop()
