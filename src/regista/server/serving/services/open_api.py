"""The signatures of the models an endpoint serves, read from their MLmodel files (for get_open_api)."""

from __future__ import annotations

import json
import os
from typing import Any

import yaml

from regista.server.serving.schemas.openapi import open_api_json
from regista.server.serving.services.supervisor import Supervisor
from regista.server.serving.services.workers import Deployment


def _columns(raw: Any) -> list[dict[str, Any]] | None:
    if not raw:
        return None
    parsed = json.loads(raw) if isinstance(raw, str) else raw
    return parsed if isinstance(parsed, list) else None


def _signature(model_dir: str) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    try:
        with open(os.path.join(model_dir, "MLmodel"), encoding="utf-8") as fh:
            meta = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError):
        return None, None
    signature = meta.get("signature") or {}
    return _columns(signature.get("inputs")), _columns(signature.get("outputs"))


def endpoint_open_api(supervisor: Supervisor, name: str) -> dict[str, Any]:
    """Runs outside the request's transaction (it reads files)."""
    rt = supervisor.runtime(name)
    signatures = []
    for served, _, dep in rt.routes if rt is not None else []:
        if not isinstance(dep, Deployment):
            continue  # an external model has no signature
        inputs, outputs = _signature(dep.spec.model_dir)
        signatures.append((served, inputs, outputs))
    return open_api_json(name, signatures)


# A placeholder per MLflow column type, for the example request the UI's query form starts from.
_PLACEHOLDERS: dict[str, Any] = {"double": 0.0, "float": 0.0, "long": 0, "integer": 0, "boolean": False,
                                 "string": "", "datetime": "2026-01-01T00:00:00"}
CHAT_EXAMPLE = {"messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 64}


def example_request(supervisor: Supervisor, name: str) -> dict[str, Any] | None:
    """A request body matching the first served entity: one record of its signature's input columns (a
    chat message for an external model); None when nothing is known yet. Reads files: call it outside a
    transaction."""
    rt = supervisor.runtime(name)
    for _, _, dep in rt.routes if rt is not None else []:
        if not isinstance(dep, Deployment):
            return CHAT_EXAMPLE
        inputs, _ = _signature(dep.spec.model_dir)
        if inputs:
            record = {str(c.get("name", f"col{i}")): _PLACEHOLDERS.get(str(c.get("type")), "")
                      for i, c in enumerate(inputs)}
            return {"dataframe_records": [record]}
        return None
    return None
