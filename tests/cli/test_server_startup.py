"""`regista server` start-up: it says "listening" only once the port is really bound, fails clearly when the
port is taken, and its help shows every option name in full at 80 columns."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

import httpx
import pytest
import typer

from regista.cli.main import app
from tests.fixtures.live_server import free_port


def server_cmd(port: int, tmp_path) -> list[str]:
    return [sys.executable, "-m", "regista.cli.main", "server", "--port", str(port), "--data-dir", str(tmp_path)]


class TestBinding:
    def test_a_taken_port_is_an_error_and_never_reported_as_listening(self, tmp_path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = subprocess.run(server_cmd(port, tmp_path), capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
        assert "listening" not in result.stderr + result.stdout

    def test_the_port_answers_once_listening_is_printed(self, tmp_path) -> None:
        port = free_port()
        proc = subprocess.Popen(server_cmd(port, tmp_path), stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            # Before it: the JSON log line of the first start's schema creation.
            line = proc.stderr.readline()
            while line.startswith("{"):
                line = proc.stderr.readline()
            assert line.startswith("regista ") and f"listening on http://127.0.0.1:{port} " in line
            # No polling: the socket is bound and listening, so the request waits for the app at most.
            assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).text == "OK"
        finally:
            proc.terminate()
            proc.wait(10)


def _commands() -> list[tuple[str, Any]]:
    """(`sub command` words, the click command) of every command; groups have `commands`."""
    root: Any = typer.main.get_command(app)
    found = []
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return found


class TestHelp:
    @pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
    def test_every_option_name_is_shown_in_full_at_80_columns(self, name, command) -> None:
        result = subprocess.run([sys.executable, "-m", "regista.cli.main", *name.split(), "--help"],
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "COLUMNS": "80", "TERMINAL_WIDTH": "80"})
        assert result.returncode == 0, result.stderr
        words = set(result.stdout.replace(",", " ").split())
        for param in command.params:
            for option in [*param.opts, *param.secondary_opts]:
                if option.startswith("-"):
                    assert option in words, f"{option} missing from `regista {name} --help`"
        assert "…" not in result.stdout
