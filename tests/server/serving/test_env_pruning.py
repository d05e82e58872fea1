"""Unused model environments are removed: by the serving supervisor (at start, then periodically; never one its
endpoints run on, however old) and by `regista serving prune-envs` (only while no server runs on the data
folder). Environments here are finished-looking folders (marker file, bin/python) with a chosen last use, locks
are real flocks held by other processes; the end-to-end test runs a real server whose endpoint runs in one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from regista.environments import pruning as env_pruning
from regista.environments.builder import LAST_USED, MARKER, Environments, last_used
from regista.environments.requirements import read_environment
from tests.fixtures.databases import database_url
from tests.fixtures.fresh_loop import run_in_fresh_loop
from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.live_server import start_server
from tests.server.serving.conftest import (
    COLUMNS,
    ROWS,
    SERVING_ENV,
    create_endpoint,
    entity,
    invoke,
    split,
    wait_until,
)

DAY = 86400.0
WEEK = 7 * DAY


def _digest() -> str:
    return uuid.uuid4().hex


def _env(root: Path, digest: str, age_s: float, size: int = 1 << 20) -> Path:
    """A finished environment (as a build's final rename leaves it) last used `age_s` seconds ago, whose
    interpreter is this test's own (so a model worker can really run in it)."""
    folder = root / digest
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (folder / "lib").mkdir()
    (folder / "lib" / "payload.bin").write_bytes(b"\0" * size)
    (folder / MARKER).write_text(json.dumps({"hash": digest, "manager": "uv", "python": "3.11"}))
    (folder / LAST_USED).write_text("")
    _age(folder, age_s)
    (root / f"{digest}.lock").touch()
    return folder


def _age(folder: Path, age_s: float) -> None:
    when = time.time() - age_s
    os.utime(folder / LAST_USED, (when, when))


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@contextmanager
def _held_elsewhere(*locks: Path) -> Iterator[None]:
    """The flocks of `locks`, held by another process (as a builder in another server process holds them)."""
    code = ("import fcntl, sys\nfs = [open(p, 'a') for p in sys.argv[1:]]\n"
            "[fcntl.flock(f, fcntl.LOCK_EX) for f in fs]\nprint('held', flush=True)\nsys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, locks)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regista.cli.main", "serving", "prune-envs", "--data-dir",
                           str(data_dir), *args], capture_output=True, text=True, timeout=120)


# -- the pruning itself ----------------------------------------------------------------------------------------

def test_old_unused_environments_go_with_their_lock_recent_and_in_use_ones_stay(tmp_path):
    root = tmp_path / "envs"
    old, recent, used = _digest(), _digest(), _digest()
    _env(root, old, 30 * DAY)
    _env(root, recent, DAY)
    _env(root, used, 300 * DAY)
    removed = env_pruning.prune(str(root), WEEK, in_use={used})
    assert [(r.kind, r.name) for r in removed] == [("environment", old)]
    assert removed[0].size >= 1 << 20 and removed[0].detail == "uv, Python 3.11"
    assert sorted(os.listdir(root)) == sorted([recent, f"{recent}.lock", used, f"{used}.lock"])


def test_what_another_process_holds_is_not_touched_and_what_nobody_holds_goes(tmp_path):
    root = tmp_path / "envs"
    busy_env, building, dead_build, orphan, busy_orphan = (_digest() for _ in range(5))
    _env(root, busy_env, 30 * DAY)  # its lock held: a worker start taking it, or a rebuild
    (root / f".build-{building}-0a1b" / "bin").mkdir(parents=True)  # a build in progress: its lock held
    (root / f".build-{dead_build}-dead" / "bin").mkdir(parents=True)  # its builder died: no one holds it
    (root / f".build-{dead_build}-dead" / "bin" / "junk").write_bytes(b"x" * 1000)
    (root / f"{dead_build}.lock").touch()
    (root / f"{orphan}.lock").touch()
    (root / f"{busy_orphan}.lock").touch()
    locks = [root / f"{busy_env}.lock", root / f"{building}.lock", root / f"{busy_orphan}.lock"]
    with _held_elsewhere(*locks):
        removed = env_pruning.prune(str(root), WEEK)
        assert sorted((r.kind, r.name) for r in removed) == sorted([
            ("stale build", f".build-{dead_build}-dead"),
            ("unused lock file", f"{dead_build}.lock"),
            ("unused lock file", f"{orphan}.lock"),
        ])
        assert sorted(os.listdir(root)) == sorted([
            busy_env, f"{busy_env}.lock", f".build-{building}-0a1b", f"{building}.lock", f"{busy_orphan}.lock"])
    # Released: the old environment goes now, and the build folder with its lock (its builder is gone).
    removed = env_pruning.prune(str(root), WEEK)
    assert {r.name for r in removed} == {busy_env, f".build-{building}-0a1b", f"{building}.lock",
                                         f"{busy_orphan}.lock"}
    assert os.listdir(root) == []


def test_a_dry_run_reports_the_same_and_changes_nothing(tmp_path):
    root = tmp_path / "envs"
    old = _digest()
    _env(root, old, 30 * DAY)
    _env(root, _digest(), DAY)
    (root / f".build-{_digest()}-dead").mkdir()
    (root / f"{_digest()}.lock").touch()
    before = _listing(root)
    would = env_pruning.prune(str(root), WEEK, dry_run=True)
    assert _listing(root) == before
    assert sorted(r.kind for r in would) == ["environment", "stale build", "unused lock file"]
    assert [(r.kind, r.name, r.size) for r in env_pruning.prune(str(root), WEEK)] == [
        (r.kind, r.name, r.size) for r in would]


def test_a_worker_start_refreshes_the_last_use_so_the_environment_stays(tmp_path):
    root = tmp_path / "envs"
    model = tmp_path / "model"
    model.mkdir()
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (model / "python_env.yaml").write_text(f"python: {here}.0\ndependencies:\n- -r requirements.txt\n")
    (model / "requirements.txt").write_text("mlflow==3.17.2\n")
    digest = read_environment(str(model), here).digest("uv")
    env = _env(root, digest, 30 * DAY)
    lines: list[str] = []
    envs = Environments("uv", str(root), sys.executable, 600, False)
    python = run_in_fresh_loop(lambda: envs.python_for(str(model), lines.append))
    assert python == str(env / "bin" / "python") and any(line.endswith(": cached") for line in lines)
    assert time.time() - last_used(str(env)) < DAY
    assert env_pruning.prune(str(root), WEEK) == []


# -- the command ----------------------------------------------------------------------------------------------

def test_the_command_removes_old_environments_and_says_what_it_freed(tmp_path):
    root = tmp_path / "serving" / "envs"
    old, recent = _digest(), _digest()
    _env(root, old, 30 * DAY, size=3 << 20)
    _env(root, recent, DAY)
    before = _listing(root)
    dry = _cli(tmp_path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would remove environment {old} (uv, Python 3.11; last used " in dry.stdout
    assert "Would free 3.0 MiB: 1 environment(s)" in dry.stdout
    assert _listing(root) == before
    done = _cli(tmp_path, "--older-than", "12h")  # the recent one (a day) goes too
    assert done.returncode == 0, done.stderr
    assert f"removed environment {old}" in done.stdout and f"removed environment {recent}" in done.stdout
    assert "Freed 4.0 MiB: 2 environment(s)" in done.stdout
    assert os.listdir(root) == []


@pytest.mark.parametrize("bad", ["soon", "-1d", "7w", "1e9d", ""])
def test_a_bad_duration_is_a_clear_error_and_changes_nothing(tmp_path, bad):
    root = tmp_path / "serving" / "envs"
    _env(root, _digest(), 30 * DAY)
    before = _listing(root)
    proc = _cli(tmp_path, "--older-than", bad)
    assert proc.returncode == 2
    assert "Invalid value for '--older-than'" in proc.stderr and "number followed by s, m, h or d" in proc.stderr
    assert _listing(root) == before


# -- a real server ------------------------------------------------------------------------------------------

def _log_model(url: str, tmp: Path) -> tuple[str, str]:
    """A registered sklearn model with fixed requirements: (its name, the hash of the environment it needs)."""
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    name = f"prune-{uuid.uuid4().hex[:8]}"
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    x = pd.DataFrame(ROWS * 4, columns=COLUMNS)
    clf = LogisticRegression(max_iter=500).fit(x, [0, 2, 1] * 4)
    os.environ["MLFLOW_TRACKING_TOKEN"] = ADMIN_TOKEN
    try:
        with mlflow.start_run():
            mlflow.sklearn.log_model(clf, name="m", signature=infer_signature(x, clf.predict(x)),
                                     pip_requirements=["scikit-learn", "mlflow"], registered_model_name=name)
        model_dir = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp / "model"))
    finally:
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return name, read_environment(model_dir, here).digest("uv")


def test_a_server_prunes_unused_environments_keeps_its_endpoints_and_locks_out_the_command(backend, tmp_path):
    data = tmp_path / "data"
    root = data / "serving" / "envs"
    stale = _digest()
    _env(root, stale, 30 * DAY)
    # A short retention: the supervisor looks every few seconds (a quarter of it).
    env = {**SERVING_ENV, "REGISTA_SERVING_ENV_RETENTION": "20s"}
    with database_url(backend, tmp_path) as url:
        server = start_server(backend, url, data, "--auth", "--serving-env-manager", "uv", env=env)
        try:
            # At start: the old unused environment goes.
            wait_until(lambda: not (root / stale).exists(), "the old environment to be removed at start")
            assert not (root / f"{stale}.lock").exists()

            # An endpoint runs in an environment (its model's hash, finished: nothing is built).
            name, digest = _log_model(server.url, tmp_path)
            used = _env(root, digest, 0)
            ws = workspace_client(server.url, ADMIN_TOKEN)
            ep = create_endpoint(ws, [entity(name, "1", "main")])
            assert "cached" in ws.serving_endpoints.build_logs(ep.name, "main").logs
            # However old its last use looks, a later pass keeps it (and refreshes it), removing another.
            _age(used, 300 * DAY)
            other = _digest()
            _env(root, other, 30 * DAY)
            wait_until(lambda: not (root / other).exists(), "a later pass to remove an unused environment")
            assert (root / digest / MARKER).exists()
            wait_until(lambda: time.time() - last_used(str(used)) < DAY, "the endpoint's environment refreshed")
            r = invoke(server.url, ep.name, split())
            assert r.status_code == 200 and len(r.json()["predictions"]) == len(ROWS)

            # The command refuses while the server runs, in one line, changing nothing.
            before = _listing(root)
            proc = _cli(data, "--older-than", "0")
            assert proc.returncode == 1
            assert proc.stderr.strip().count("\n") == 0 and "a regista server supervises model serving" in proc.stderr
            assert _listing(root) == before
        finally:
            server.stop()
    # Stopped: the command prunes (a dry run first).
    dry = _cli(data, "--older-than", "0", "--dry-run")
    assert dry.returncode == 0 and f"would remove environment {digest}" in dry.stdout
    assert (root / digest / MARKER).exists()
    done = _cli(data, "--older-than", "0")
    assert done.returncode == 0 and f"removed environment {digest}" in done.stdout and "Freed " in done.stdout
    assert not (root / digest).exists()


def test_a_bad_retention_setting_stops_the_server_at_start_with_its_name(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "regista.cli.main", "server", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "REGISTA_SERVING_ENV_RETENTION": "a week"},
    )
    assert proc.returncode == 1
    assert "REGISTA_SERVING_ENV_RETENTION: invalid duration 'a week'" in proc.stderr
