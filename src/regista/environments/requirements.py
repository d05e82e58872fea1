"""What environment a model asks for, read from the files mlflow writes beside it: the Python version and pip
requirements of python_env.yaml (with its requirements.txt), or of conda.yaml for models that have no
python_env.yaml, flattened into one list whose hash names the environment."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
from dataclasses import dataclass

import yaml

# Bumped when what goes into an environment changes (its hash then names a new one).
LAYOUT = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION = re.compile(r"^(\d+)\.(\d+)")
_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(.+)$")


class ModelEnvironmentError(Exception):
    """The model's environment files are missing or unreadable."""


@dataclass(frozen=True)
class EnvironmentSpec:
    """A model's environment: Python major.minor, the installer tools mlflow lists first (build), the
    requirements and the constraints, each sorted; `source` says which file they came from and `notes`
    what was ignored or assumed."""

    python: str
    requested_python: str
    build: tuple[str, ...]
    requirements: tuple[str, ...]
    constraints: tuple[str, ...]
    source: str
    notes: tuple[str, ...] = ()

    def digest(self, manager: str) -> str:
        """The environment's name: a hash of everything that decides what is installed."""
        content = {"layout": LAYOUT, "manager": manager, "python": self.python, "build": self.build,
                   "requirements": self.requirements, "constraints": self.constraints}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


def _minor(version: str) -> str | None:
    match = _VERSION.match(version.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def requirement_name(line: str) -> str | None:
    """The normalized project name a requirement line installs (None for options and paths)."""
    if line.startswith(("-", ".", "/")) or "://" in line:
        return None
    match = _NAME.match(line)
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else None


def _read_lines(path: str, base: str, seen: set[str], reqs: set[str], cons: set[str], constraint: bool) -> None:
    """Requirement lines of a pip requirements file, following `-r` / `-c` includes (relative to the file)
    and making relative paths absolute, so the list means the same wherever it is installed from."""
    real = os.path.realpath(path)
    if not real.startswith(os.path.realpath(base) + os.sep):
        raise ModelEnvironmentError(f"'{os.path.basename(path)}' is outside the model's folder.")
    if real in seen:
        return
    seen.add(real)
    try:
        with open(real, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise ModelEnvironmentError(f"The model's {os.path.relpath(path, base)} cannot be read: {err}") from None
    _add_lines(text.splitlines(), os.path.dirname(real), base, seen, reqs, cons, constraint)


def _add_lines(lines: list[str], folder: str, base: str, seen: set[str], reqs: set[str], cons: set[str],
               constraint: bool) -> None:
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include:
            nested = os.path.join(folder, include.group(2).strip())
            _read_lines(nested, base, seen, reqs, cons, constraint or include.group(1) in ("-c", "--constraint"))
            continue
        if line.startswith(("./", "../")):
            line = os.path.normpath(os.path.join(folder, line))
        (cons if constraint else reqs).add(line)


def _yaml(path: str) -> dict[str, object]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as err:
        raise ModelEnvironmentError(f"The model's {os.path.basename(path)} cannot be read: {err}") from None
    if not isinstance(data, dict):
        raise ModelEnvironmentError(f"The model's {os.path.basename(path)} is not a mapping.")
    return data


def _strings(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelEnvironmentError(f"{what} is not a list of strings.")
    return list(value)


def _from_conda(model_dir: str, notes: list[str]) -> tuple[str | None, list[str]]:
    """(python version, pip lines) of conda.yaml; conda packages other than python and pip cannot be
    installed by pip or uv, and are named in the notes."""
    data = _yaml(os.path.join(model_dir, "conda.yaml"))
    deps = data.get("dependencies") or []
    if not isinstance(deps, list):
        raise ModelEnvironmentError("conda.yaml's dependencies is not a list.")
    python, pip_lines, skipped = None, [], []
    for dep in deps:
        if isinstance(dep, dict):
            pip_lines += _strings(dep.get("pip"), "conda.yaml's pip dependencies")
        elif isinstance(dep, str):
            name = re.split(r"[=<>!~ ]", dep, maxsplit=1)[0]
            if name == "python":
                python = dep[len(name):].lstrip("=<>!~ ")
            elif name != "pip":
                skipped.append(dep)
    if skipped:
        notes.append(f"conda packages ignored (pip and uv install only pip requirements): {', '.join(skipped)}")
    return python, pip_lines


def _mlflow_requirement() -> str:
    """The worker program (and predict's scorer) needs mlflow: the version installed here when there is one."""
    try:
        return f"mlflow=={importlib.metadata.version('mlflow')}"
    except importlib.metadata.PackageNotFoundError:
        return "mlflow"


def read_environment(model_dir: str, default_python: str) -> EnvironmentSpec:
    """The environment the model in `model_dir` asks for. `default_python` (major.minor) is used only when
    the model names no Python version at all, and the notes say so."""
    notes: list[str] = []
    build: list[str] = []
    lines: list[str]
    python_env = os.path.join(model_dir, "python_env.yaml")
    if os.path.isfile(python_env):
        source = "python_env.yaml"
        data = _yaml(python_env)
        python = str(data["python"]) if data.get("python") is not None else None
        build = _strings(data.get("build_dependencies"), "python_env.yaml's build_dependencies")
        lines = _strings(data.get("dependencies"), "python_env.yaml's dependencies")
    elif os.path.isfile(os.path.join(model_dir, "conda.yaml")):
        source = "conda.yaml"
        python, lines = _from_conda(model_dir, notes)
    elif os.path.isfile(os.path.join(model_dir, "requirements.txt")):
        source, python, lines = "requirements.txt", None, ["-r requirements.txt"]
    else:
        raise ModelEnvironmentError(
            "The model has no python_env.yaml, conda.yaml or requirements.txt to build its environment from "
            "(mlflow writes them when the model is logged)."
        )
    requested = python or ""
    minor = _minor(requested) if python else None
    if python and minor is None:
        raise ModelEnvironmentError(f"The model's {source} names Python '{python}', which is not a version.")
    if minor is None:
        minor = default_python
        notes.append(f"the model names no Python version; using Python {minor}, this interpreter's")
    reqs: set[str] = set()
    cons: set[str] = set()
    seen: set[str] = set()
    _add_lines(lines, model_dir, model_dir, seen, reqs, cons, False)
    build_reqs: set[str] = set()
    _add_lines(build, model_dir, model_dir, seen, build_reqs, cons, False)
    if not any(requirement_name(r) in ("mlflow", "mlflow-skinny") for r in reqs):
        reqs.add(_mlflow_requirement())
        notes.append("the model's requirements do not name mlflow, which its worker or scorer needs; added it")
    return EnvironmentSpec(minor, requested or minor, tuple(sorted(build_reqs)), tuple(sorted(reqs)),
                           tuple(sorted(cons)), source, tuple(notes))
