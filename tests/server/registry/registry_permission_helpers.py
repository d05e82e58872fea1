"""Helpers for the registry permission tests: raw calls with a caller's token, and model set-up as admin."""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx

from tests.fixtures.identities import ADMIN_TOKEN

MLFLOW = "/api/2.0/mlflow"
PERMISSIONS = "/api/2.0/permissions"
# A source outside the server's artifact store: kept as given, so creating a version copies no files.
EXTERNAL_SOURCE = "s3://bucket/models/m"


class Api:
    """Raw HTTP as one caller (no token: anonymous)."""

    def __init__(self, url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=30)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: dict[str, Any] | None = None) -> httpx.Response:
        """`path` below /api/2.0/mlflow unless it starts with /api/."""
        full = path if path.startswith("/api/") else MLFLOW + path
        return self.http.request(method, full, json=body, params=params)

    def ok(self, method: str, path: str, body: dict[str, Any] | None = None,
           params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.call(method, path, body, params)
        assert response.status_code == 200, response.text
        return response.json()


@cache
def caller_api(url: str, token: str | None) -> Api:
    """One client per (server, caller), reused: building an httpx client costs more than a request."""
    return Api(url, token)


def admin_api(url: str) -> Api:
    return caller_api(url, ADMIN_TOKEN)


def create_model(api: Api, name: str, versions: int = 0, **extra: Any) -> str:
    """Create a model (and `versions` versions) as `api`'s caller; the model's numeric id."""
    api.ok("POST", "/registered-models/create", {"name": name, **extra})
    for _ in range(versions):
        api.ok("POST", "/model-versions/create", {"name": name, "source": EXTERNAL_SOURCE})
    return model_id(api, name)


def model_id(api: Api, name: str) -> str:
    body = api.ok("GET", "/databricks/registered-models/get", params={"name": name})
    return str(body["registered_model_databricks"]["id"])


def acl_of(body: dict[str, Any]) -> dict[str, list[tuple[str, bool]]]:
    """{grantee name: [(level, inherited)]} of a permissions response (raw JSON)."""
    out: dict[str, list[tuple[str, bool]]] = {}
    for entry in body.get("access_control_list", []):
        name = entry.get("user_name") or entry.get("group_name") or entry.get("service_principal_name")
        out[name] = [(p["permission_level"], p.get("inherited", False)) for p in entry["all_permissions"]]
    return out
