"""A model's files as the version and compare pages show them: the top-level listing and the signature
read from its MLmodel file. Plain file I/O, run after the request's transaction has ended."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

import yaml

from regista.errors import RegistaError
from regista.server.storage.repository import ArtifactEntry, ArtifactRepository

# MLmodel files are a few kilobytes; anything much larger is not read for a page.
MAX_MLMODEL_BYTES = 1 << 20


@dataclass
class ModelFiles:
    entries: list[ArtifactEntry] = field(default_factory=list)
    # {"inputs": [...], "outputs": [...], "params": [...]}: each a list of column/tensor specs (dicts).
    signature: dict[str, list[dict[str, Any]]] | None = None
    problem: str | None = None


def _spec(value: Any) -> list[dict[str, Any]]:
    """One part of a signature: MLmodel stores each as a JSON string (or null)."""
    if not value:
        return []
    parsed = json.loads(value) if isinstance(value, str) else value
    specs = [p for p in parsed if isinstance(p, dict)] if isinstance(parsed, list) else []
    for spec in specs:
        spec["display"] = _type_text(spec)
    return specs


def _type_text(spec: dict[str, Any]) -> str:
    """A column or tensor spec's type as a person reads it: `double`, `tensor float64 [-1, 2]`."""
    tensor = spec.get("tensor-spec")
    if spec.get("type") == "tensor" and isinstance(tensor, dict):
        return f"tensor {tensor.get('dtype', '')} {tensor.get('shape', '')}".strip()
    return str(spec.get("type", ""))


def read_signature(text: str) -> dict[str, list[dict[str, Any]]] | None:
    """The signature of an MLmodel document, or None when it declares none."""
    document = yaml.safe_load(text)
    signature = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(signature, dict):
        return None
    return {part: _spec(signature.get(part)) for part in ("inputs", "outputs", "params")}


def model_files(repo: ArtifactRepository, root: str | None) -> ModelFiles:
    """The files directly under a model's store path, and its signature; `problem` says why they could
    not be read (never raised: the rest of the page still shows)."""
    if root is None:
        return ModelFiles(problem="The files are not stored by this server.")
    try:
        entries = repo.list_dir(root)
        mlmodel = posixpath.join(root, "MLmodel")
        signature = None
        if any(e.path == "MLmodel" and not e.is_dir for e in entries):
            if repo.file_size(mlmodel) <= MAX_MLMODEL_BYTES:
                signature = read_signature(b"".join(repo.iter_file(mlmodel)).decode("utf-8", "replace"))
        return ModelFiles(entries, signature)
    except (OSError, RegistaError, yaml.YAMLError, ValueError) as err:
        return ModelFiles(problem=f"The files could not be read: {err}")
