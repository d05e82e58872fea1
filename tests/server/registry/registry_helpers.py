"""Helpers shared by the registry tests: raw wire calls and stage transitions without deprecation noise."""

from __future__ import annotations

import warnings
from typing import Any

import httpx

API = "/api/2.0/mlflow"


def call(server_url: str, method: str, path: str, body: dict[str, Any] | None = None,
         params: dict[str, Any] | None = None) -> httpx.Response:
    """One raw request the way the mlflow client sends it (GET: query string, others: JSON body)."""
    return httpx.request(method, f"{server_url}{API}{path}", json=body, params=params, timeout=30)


def transition(client: Any, name: str, version: str | int, stage: str, archive: bool = False) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return client.transition_model_version_stage(name, str(version), stage, archive_existing_versions=archive)


def latest(client: Any, name: str, stages: list[str] | None = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return client.get_latest_versions(name, stages)


def error(resp: httpx.Response) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body.get("error_code", ""), body.get("message", "")
