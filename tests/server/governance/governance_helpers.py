"""Setup shared by the governance tests (transition requests, comments, activities, the permission matrix):
models and versions created as the admin over raw HTTP, callers holding exactly one level on a model, and
wire helpers that see fields the SDK's dataclasses drop (e.g. available_actions on an Activity)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text

from tests.fixtures.identities import ADMIN_TOKEN, Caller, IdentityFactory, workspace_client

API = "/api/2.0/mlflow"
LEVELS = (
    "CAN_READ",
    "CAN_EDIT",
    "CAN_MANAGE_STAGING_VERSIONS",
    "CAN_MANAGE_PRODUCTION_VERSIONS",
    "CAN_MANAGE",
)


@dataclass
class Person:
    """A service principal with its token and an SDK client acting as it."""

    caller: Caller
    sdk: Any

    @property
    def name(self) -> str:
        return self.caller.name

    @property
    def token(self) -> str:
        assert self.caller.token is not None
        return self.caller.token


class Registry:
    """Raw calls to a live --auth server, as the admin unless another token is given."""

    def __init__(self, url: str, identities: IdentityFactory) -> None:
        self.url = url
        self.identities = identities
        self.http = httpx.Client(base_url=url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: dict[str, Any] | None = None, token: str | None = ADMIN_TOKEN,
             prefix: str = API) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, prefix + path, json=body, params=params, headers=headers)

    def ok(self, method: str, path: str, body: dict[str, Any] | None = None,
           params: dict[str, Any] | None = None, token: str | None = ADMIN_TOKEN) -> dict[str, Any]:
        r = self.call(method, path, body, params, token)
        assert r.status_code == 200, r.text
        return r.json()

    def person(self, *groups: Caller) -> Person:
        caller = self.identities.service_principal(*groups)
        assert caller.token is not None
        return Person(caller, workspace_client(self.url, caller.token))

    def model(self, prefix: str = "gov", versions: int = 0) -> tuple[str, int]:
        """A new model (created by the admin) with `versions` versions; (name, registered-model id)."""
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.ok("POST", "/registered-models/create", {"name": name})
        for _ in range(versions):
            self.version(name)
        with self.identities.engine.connect() as conn:
            rm_id = conn.execute(text("SELECT id FROM registered_models WHERE name = :n"), {"n": name}).scalar_one()
        return name, int(rm_id)

    def version(self, name: str) -> str:
        body = self.ok("POST", "/model-versions/create", {"name": name, "source": "s3://bucket/model"})
        return str(body["model_version"]["version"])

    def grant(self, rm_id: int | str, who: Person | Caller, level: str) -> None:
        caller = who.caller if isinstance(who, Person) else who
        self.identities.grant("registered-models", rm_id, caller, level)

    def stage(self, name: str, version: str, stage: str, archive: bool = False) -> None:
        self.ok("POST", "/model-versions/transition-stage",
                {"name": name, "version": version, "stage": stage, "archive_existing_versions": archive})

    def current_stage(self, name: str, version: str) -> str:
        body = self.ok("GET", "/model-versions/get", params={"name": name, "version": version})
        return str(body["model_version"]["current_stage"])

    def request(self, who: Person, name: str, version: str, stage: str, comment: str | None = None) -> None:
        body = {"name": name, "version": version, "stage": stage}
        if comment is not None:
            body["comment"] = comment
        self.ok("POST", "/transition-requests/create", body, token=who.token)

    def open_requests(self, name: str, version: str, token: str = ADMIN_TOKEN) -> list[dict[str, Any]]:
        body = self.ok("GET", "/transition-requests/list", params={"name": name, "version": version}, token=token)
        return body.get("requests", [])

    def activities(self, name: str, version: str) -> list[dict[str, Any]]:
        body = self.ok("GET", "/model-versions/get-activities", params={"name": name, "version": version})
        return body.get("activities", [])

    def snapshot(self, name: str, version: str) -> tuple[str, list[Any], int]:
        """What a refused call must leave untouched: stage, open requests, length of the activity log."""
        requests = sorted((r["to_stage"], r["user_id"]) for r in self.open_requests(name, version))
        return self.current_stage(name, version), requests, len(self.activities(name, version))
