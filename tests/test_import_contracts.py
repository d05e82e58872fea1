"""The import contracts of pyproject.toml catch what they promise: each test copies src/ and pyproject.toml,
adds one forbidden import to the copy, and expects lint-imports to report that contract BROKEN with that
import named (docs/dev/architecture.md explains the rules)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The one installed beside this interpreter (the project venv), else the one on PATH.
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
if not LINT_IMPORTS.exists():
    LINT_IMPORTS = Path(shutil.which("lint-imports") or "lint-imports")
CONTRACTS: dict[str, str] = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}


@dataclass(frozen=True)
class Break:
    """One forbidden import: `module` (dotted, under src/) gets `import imported` appended."""

    contract: str
    module: str
    imported: str


BREAKS = [
    Break("domain-layers", "regista.server.tracking.stores.runs", "regista.server.tracking.api.runs"),
    Break("api-skips-no-layer", "regista.server.tracking.api.runs", "regista.server.tracking.stores.runs"),
    Break("services-know-no-http", "regista.server.registry.services.model_versions", "fastapi"),
    # Across domains, so that the layers contract (stores under services) is not what catches it.
    Break("stores-call-no-service", "regista.server.registry.stores.aliases",
          "regista.server.tracking.services.runs"),
    Break("tracking-through-services", "regista.server.tracking.services.runs",
          "regista.server.registry.stores.registered_models"),
    Break("artifacts-through-services", "regista.server.artifacts.services.artifacts",
          "regista.server.tracking.stores.runs"),
    Break("registry-through-services", "regista.server.registry.services.model_versions",
          "regista.server.tracking.stores.runs"),
    Break("identity-through-services", "regista.server.identity.services.tokens",
          "regista.server.permissions.stores.grants"),
    Break("permissions-through-services", "regista.server.permissions.services.permissions",
          "regista.server.governance.stores.comments"),
    Break("governance-through-services", "regista.server.governance.services.comments",
          "regista.server.registry.api.model_versions"),
    Break("ui-through-services", "regista.server.ui.api.shell", "regista.server.registry.stores.registered_models"),
    Break("catalog-through-services", "regista.server.catalog.services.lineage",
          "regista.server.tracking.stores.runs"),
    Break("events-through-services", "regista.server.events.services.fanout",
          "regista.server.registry.stores.registered_models"),
    Break("serving-through-services", "regista.server.serving.services.entities",
          "regista.server.registry.stores.aliases"),
    Break("datasets-through-services", "regista.server.datasets.services.datasets",
          "regista.server.tracking.stores.experiments"),
    Break("traces-through-services", "regista.server.traces.services.traces",
          "regista.server.tracking.stores.runs"),
    Break("server-imports-no-mlflow", "regista.server.serving.services.workers", "mlflow"),
    Break("shared-base-knows-no-domain", "regista.server.http.parsing",
          "regista.server.tracking.services.runs"),
    Break("cli-calls-services", "regista.cli.tokens", "regista.server.identity.stores.tokens"),
    Break("inference-standalone", "regista.inference.model_uri", "regista.server.settings"),
    Break("wire-base-standalone", "regista.schemas.numbers", "regista.server.settings"),
    Break("environments-standalone", "regista.environments.pruning", "regista.server.settings"),
]


def scratch_copy(tmp_path: Path) -> Path:
    """src/ and pyproject.toml copied to tmp_path (what lint-imports reads, nothing else)."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(copy: Path) -> tuple[int, str]:
    """Run lint-imports on the copy: cwd and PYTHONPATH point at it, so `regista` is found in the copy rather
    than in the editable install. Returns the exit code and the output with whitespace runs collapsed
    (the report wraps long lines)."""
    env = {**os.environ, "PYTHONPATH": str(copy / "src"), "COLUMNS": "1000", "NO_COLOR": "1"}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(copy / "pyproject.toml")],
        cwd=copy, env=env, capture_output=True, text=True, timeout=120,
    )
    return done.returncode, re.sub(r"\s+", " ", done.stdout + done.stderr)


def broken(output: str) -> set[str]:
    """Ids of the contracts the summary reports BROKEN."""
    return {cid for cid, name in CONTRACTS.items() if f"{name} BROKEN" in output}


def test_every_contract_has_a_break_test() -> None:
    assert sorted(b.contract for b in BREAKS) == sorted(CONTRACTS)


def test_the_unmodified_source_keeps_every_contract(tmp_path: Path) -> None:
    code, output = lint_imports(scratch_copy(tmp_path))
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in output, f"broken: {sorted(broken(output))}"
    assert code == 0


@pytest.mark.parametrize("case", BREAKS, ids=[b.contract for b in BREAKS])
def test_a_forbidden_import_breaks_the_contract(case: Break, tmp_path: Path) -> None:
    copy = scratch_copy(tmp_path)
    source = copy / "src" / Path(*case.module.split(".")).with_suffix(".py")
    kept = source.read_text().rstrip("\n") + "\n\n"
    line = kept.count("\n") + 1
    source.write_text(f"{kept}import {case.imported}  # noqa: E402, F401\n")

    code, output = lint_imports(copy)

    assert code != 0, output
    assert case.contract in broken(output), output
    # The report names this very import, so the copy (not the installed package) was analysed and the
    # contract failed for the import we added rather than for one already in the source.
    assert f"{case.module} -> {case.imported} (l.{line})" in section_of(case.contract, output), output


def section_of(contract: str, output: str) -> str:
    """The details the report gives under one broken contract's heading."""
    report = output.split("Broken contracts", 1)[-1]
    section = report.split(f" {CONTRACTS[contract]} ", 1)[-1]
    others = [section.find(f" {name} ") for cid, name in CONTRACTS.items() if cid != contract]
    return section[: min([i for i in others if i >= 0], default=len(section))]
