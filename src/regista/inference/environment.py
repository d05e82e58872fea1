"""`regista predict --env-manager uv|virtualenv`: score in the model's own environment, built from its
requirements by the builder serving uses (regista.environments) and cached in a user folder; the scoring
itself is the local engine's (batch.score_file), run there by env_runner.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regista.environments.builder import Environments, EnvironmentUnavailable, Wording
from regista.inference.batch import BatchResult, InputTable
from regista.inference.errors import InferenceError

ENV_MANAGERS = ("local", "virtualenv", "uv")
# A build longer than this (an hour) is surely stuck.
BUILD_TIMEOUT_S = 3600.0
PREDICT = Wording(others="another regista predict", timeout_setting="regista predict's limit",
                  downloads_setting=None, machine="this machine")


def default_env_root() -> Path:
    """$XDG_CACHE_HOME/regista/envs, else ~/.cache/regista/envs."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "regista" / "envs"


@dataclass(frozen=True)
class ModelEnvironment:
    """A model downloaded here and the interpreter of its environment."""

    uri: str
    model_dir: str
    python: str


@contextlib.contextmanager
def prepared(mlflow: Any, uri: str, manager: str, root: Path, say: Callable[[str], None]) -> Iterator[ModelEnvironment]:
    """Download the model (into a temporary folder, removed after) and build or find its environment."""
    with tempfile.TemporaryDirectory(prefix="regista-predict-") as tmp:
        try:
            model_dir = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp)
        except Exception as err:  # mlflow's errors, network errors, a full disk: all the user can act on
            raise InferenceError(f"cannot download {uri}: {getattr(err, 'message', err)}") from None
        envs = Environments(manager, str(root), sys.executable, BUILD_TIMEOUT_S, False, PREDICT)
        try:
            python = asyncio.run(envs.python_for(model_dir, say))
        except EnvironmentUnavailable as err:
            raise InferenceError(f"the model's environment could not be built: {err}") from None
        yield ModelEnvironment(uri, model_dir, python)


def score(env: ModelEnvironment, source: InputTable, chunk_size: int, destination: Path, overwrite: bool,
          on_start: Callable[[int], None], on_chunk: Callable[[int], None]) -> BatchResult:
    """Score `source` into `destination` with the environment's interpreter: `python -m
    regista.inference.env_runner`, the regista package (only it) on its path."""
    job = {"uri": env.uri, "model_dir": env.model_dir, "input": str(source.path), "fmt": source.fmt,
           "chunk_size": chunk_size, "destination": str(destination), "overwrite": overwrite}
    with tempfile.TemporaryDirectory(prefix="regista-path-") as path:
        # A folder holding only a link to this regista: the environment's own packages stay the only others.
        os.symlink(Path(__file__).resolve().parent.parent, os.path.join(path, "regista"))
        environ = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
        environ.pop("PYTHONHOME", None)
        proc = subprocess.Popen([env.python, "-m", "regista.inference.env_runner"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=environ, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(job))
        proc.stdin.close()
        done: dict[str, Any] | None = None
        error: str | None = None
        for line in proc.stdout:
            message = json.loads(line)
            if "start" in message:
                on_start(int(message["start"]))
            elif "chunk" in message:
                on_chunk(int(message["chunk"]))
            elif "done" in message:
                done = message["done"]
            elif "error" in message:
                error = str(message["error"])
        code = proc.wait()
    if error is not None:
        raise InferenceError(error)
    if code != 0 or done is None:
        raise InferenceError(f"scoring in the model's environment ({env.python}) failed with exit code {code}; "
                             "its output is above")
    return BatchResult(Path(done["path"]), int(done["rows"]), int(done["chunks"]))
