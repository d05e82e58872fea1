"""Environment builds on their own (no server): the virtualenv manager's pip errors and missing Pythons, and
that a build that fails, is cancelled, or was killed earlier leaves nothing that looks finished."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from regista.environments.builder import MARKER, Environments, EnvironmentUnavailable
from regista.environments.requirements import read_environment
from tests.fixtures.fresh_loop import run_in_fresh_loop

HERE = f"{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"


def _model(folder: Path, requirements: str, python: str = HERE) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "python_env.yaml").write_text(f"python: {python}\ndependencies:\n- -r requirements.txt\n")
    (folder / "requirements.txt").write_text(requirements)
    return str(folder)


def _build(envs: Environments, model: str, lines: list[str]) -> str:
    return run_in_fresh_loop(lambda: envs.python_for(model, lines.append))


def _contents(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_virtualenv_reports_pips_error_and_leaves_only_its_lock(tmp_path):
    root = tmp_path / "envs"
    envs = Environments("virtualenv", str(root), sys.executable, 600, False)
    # Sorted first, so pip stops at it before fetching anything else.
    model = _model(tmp_path / "m", "a-regista-no-such-package-0d1f==1.0\n")
    lines: list[str] = []
    with pytest.raises(EnvironmentUnavailable, match="pip install exited with code 1: ERROR: No matching "
                                                    "distribution found for a-regista-no-such-package-0d1f"):
        _build(envs, model, lines)
    assert any("-m venv" in line for line in lines)
    digest = read_environment(model, "3.11").digest("virtualenv")
    assert _contents(root) == [f"{digest}.lock"]


def test_virtualenv_names_a_python_that_is_not_installed(tmp_path):
    root = tmp_path / "envs"
    envs = Environments("virtualenv", str(root), sys.executable, 600, False)
    with pytest.raises(EnvironmentUnavailable, match=r"asks for Python 3\.99\.0 \(python_env\.yaml\) and no "
                                                    r"Python 3\.99 is installed"):
        _build(envs, _model(tmp_path / "m", "mlflow\n", python="3.99.0"), [])
    assert not [name for name in _contents(root) if not name.endswith(".lock")]


def test_leftovers_of_a_killed_build_are_never_used_and_are_removed(tmp_path):
    root = tmp_path / "envs"
    envs = Environments("uv", str(root), sys.executable, 600, False)
    model = _model(tmp_path / "m", "mlflow==3.17.2\n")
    digest = read_environment(model, "3.11").digest("uv")
    # What a build killed just before its rename leaves: complete-looking, but under its temporary name.
    dead = root / f".build-{digest}-dead"
    (dead / "bin").mkdir(parents=True)
    (dead / "bin" / "python").symlink_to(sys.executable)
    (dead / MARKER).write_text("{}")
    # And a <hash> folder that no build made (no marker): not taken as finished either, and replaced.
    (root / digest / "stray").mkdir(parents=True)
    lines: list[str] = []
    python = _build(envs, model, lines)
    assert python == str(root / digest / "bin" / "python")
    assert _contents(root) == [digest, f"{digest}.lock"]
    assert not (root / digest / "stray").exists() and (root / digest / MARKER).exists()
    assert any(line.startswith(f"environment {digest}: built in") for line in lines)


def test_a_cancelled_build_is_killed_and_leaves_nothing(tmp_path):
    root = tmp_path / "envs"
    envs = Environments("uv", str(root), sys.executable, 600, False)
    model = _model(tmp_path / "m", "mlflow==3.17.2\n")
    digest = read_environment(model, "3.11").digest("uv")

    async def cancel_mid_install() -> None:
        task = asyncio.current_task()
        assert task is not None

        def say(line: str) -> None:
            if line.startswith("Resolved "):  # printed by a running `uv pip install`
                task.cancel()

        with pytest.raises(asyncio.CancelledError):
            await envs.python_for(model, say)

    run_in_fresh_loop(cancel_mid_install)
    assert _contents(root) == [f"{digest}.lock"]
    # The lock was released with the cancelled build: the next one takes it and finishes.
    assert os.path.exists(_build(envs, model, []))
