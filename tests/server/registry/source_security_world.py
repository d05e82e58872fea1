"""Two non-admin principals on a `--auth` server: a victim whose experiment, run, logged model and registered
version hold a secret file, and an attacker who holds no permission on any of them (only what every user
gets: creating experiments and registered models). Used by the artifact-source security tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import update

from regista.server.db.models import Experiment
from tests.fixtures.identities import Caller, IdentityFactory
from tests.fixtures.live_server import LiveServer
from tests.server.registry.registry_permission_helpers import Api, caller_api

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
SECRET = b"the victim's secret weights"


@dataclass(frozen=True)
class Victim:
    caller: Caller
    api: Api
    experiment_id: str
    run_id: str
    logged_model_id: str
    model_name: str  # a registered model whose version 1 is a registry copy of the run's files
    copy_uri: str  # that version's storage location (mlflow-artifacts:/_registry/<uuid>)


@dataclass(frozen=True)
class Attacker:
    caller: Caller
    api: Api

    def experiment(self, location: str | None = None) -> str:
        body: dict[str, Any] = {"name": f"atk-{uuid.uuid4().hex[:10]}"}
        if location is not None:
            body["artifact_location"] = location
        return str(self.api.ok("POST", "/experiments/create", body)["experiment_id"])

    def run(self, experiment_id: str) -> dict[str, Any]:
        return self.api.ok("POST", "/runs/create", {"experiment_id": experiment_id})["run"]["info"]

    def model(self) -> str:
        name = f"atk-{uuid.uuid4().hex[:10]}"
        self.api.ok("POST", "/registered-models/create", {"name": name})
        return name

    def versions(self, name: str) -> list[dict[str, Any]]:
        body = self.api.ok("GET", "/model-versions/search", params={"filter": f"name='{name}'"})
        return body.get("model_versions", [])


def put(api: Api, rel: str, data: bytes) -> None:
    r = api.http.put(f"{ARTIFACTS}/{rel}", content=data)
    assert r.status_code == 200, r.text


def make_victim(identities: IdentityFactory, url: str) -> Victim:
    caller = identities.user()
    api = caller_api(url, caller.token)
    eid = str(api.ok("POST", "/experiments/create", {"name": f"victim-{uuid.uuid4().hex[:10]}"})["experiment_id"])
    run_id = api.ok("POST", "/runs/create", {"experiment_id": eid})["run"]["info"]["run_id"]
    put(api, f"{eid}/{run_id}/artifacts/model/MLmodel", SECRET)
    logged = api.ok("POST", "/logged-models", {"experiment_id": eid, "name": "lm"})["model"]["info"]
    put(api, f"{eid}/models/{logged['model_id']}/artifacts/MLmodel", SECRET)
    name = f"victim-{uuid.uuid4().hex[:10]}"
    api.ok("POST", "/registered-models/create", {"name": name})
    api.ok("POST", "/model-versions/create", {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id})
    uri = api.ok("GET", "/model-versions/get-download-uri", params={"name": name, "version": "1"})["artifact_uri"]
    assert uri.startswith("mlflow-artifacts:/_registry/")
    return Victim(caller, api, eid, run_id, logged["model_id"], name, uri)


def make_attacker(identities: IdentityFactory, url: str) -> Attacker:
    caller = identities.user()
    return Attacker(caller, caller_api(url, caller.token))


def registry_dirs(server: LiveServer) -> set[str]:
    """The registry copies on the server's disk (names under <artifact root>/_registry)."""
    root = server.data_dir / "artifacts" / "_registry"
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def artifact_root(server: LiveServer) -> Path:
    return server.data_dir / "artifacts"


def store_location_as_legacy(identities: IdentityFactory, experiment_id: str, location: str) -> None:
    """Write an experiment's artifact location straight into the database, as a server without today's
    checks on experiments/create could have stored it: the rules must hold when paths are resolved too."""
    with identities.engine.begin() as conn:
        conn.execute(update(Experiment).where(Experiment.experiment_id == int(experiment_id))
                     .values(artifact_location=location))
