"""Setup shared by the tracking permission tests: admin-made experiments with a run, a logged model and an
artifact, callers holding one level (directly, through a group or a nested group), and a snapshot of an
experiment's whole state to prove that a refused request changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
from mlflow.exceptions import RestException

from tests.fixtures.identities import ADMIN_TOKEN, Caller, IdentityFactory

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
RANK = {None: 0, "CAN_READ": 1, "CAN_EDIT": 2, "CAN_MANAGE": 5}


@dataclass(frozen=True)
class Profile:
    """A caller and the level it holds (through `grantee`: itself or one of its groups) on granted objects."""

    label: str
    caller: Caller
    grantee: Caller | None
    level: str | None


@dataclass(frozen=True)
class World:
    """One admin-made experiment and what lives in it."""

    experiment_id: str
    name: str
    run_id: str
    model_id: str
    artifact: str  # repository-relative path of a file under the run's artifacts


class NotVisible(Exception):
    """A search left out the object: how searches deny (they never fail for visibility)."""


class Admin:
    """Raw wire calls as the built-in admin (setup and snapshots; not what the tests are about)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        r = self.http.request(method, API + path, json=body, params=params or None)
        assert r.status_code == 200, r.text
        return r.json()

    def experiment(self, name: str) -> str:
        return str(self.call("POST", "/experiments/create", {"name": name})["experiment_id"])

    def world(self, name: str) -> World:
        eid = self.experiment(name)
        run = self.call("POST", "/runs/create", {"experiment_id": eid, "start_time": 1})["run"]["info"]
        run_id = run["run_id"]
        self.call("POST", "/runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": "1"}],
                                             "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}]})
        model = self.call("POST", "/logged-models", {"experiment_id": eid, "name": "lm"})["model"]["info"]
        artifact = f"{eid}/{run_id}/artifacts/hello.txt"
        r = self.http.put(f"{ARTIFACTS}/{artifact}", content=b"hello")
        assert r.status_code == 200, r.text
        r = self.http.put(f"{ARTIFACTS}/{eid}/models/{model['model_id']}/artifacts/MLmodel", content=b"flavors: {}")
        assert r.status_code == 200, r.text
        return World(eid, name, run_id, model["model_id"], artifact)

    def snapshot(self, w: World) -> Any:
        """Everything a refused request could have touched in the experiment (all runs, deleted or not)."""
        experiment = self.call("GET", "/experiments/get", experiment_id=w.experiment_id)["experiment"]
        runs = self.call("POST", "/runs/search", {"experiment_ids": [w.experiment_id], "run_view_type": "ALL"})
        models = self.call("POST", "/logged-models/search", {"experiment_ids": [w.experiment_id]})
        files = self.http.get(ARTIFACTS, params={"path": f"{w.experiment_id}/{w.run_id}/artifacts"}).json()
        history = self.call("GET", "/metrics/get-history", run_id=w.run_id, metric_key="m")
        return experiment, runs, models, files, history

    def close(self) -> None:
        self.http.close()


def make_profiles(identities: IdentityFactory) -> list[Profile]:
    """none, each level held directly, CAN_EDIT through a group, CAN_READ through a nested group."""
    out = [Profile("none", identities.service_principal(), None, None)]
    for level in ("CAN_READ", "CAN_EDIT", "CAN_MANAGE"):
        sp = identities.service_principal()
        out.append(Profile(level, sp, sp, level))
    group = identities.group()
    out.append(Profile("group-edit", identities.service_principal(group), group, "CAN_EDIT"))
    parent = identities.group()
    child = identities.group(parent)
    out.append(Profile("nested-group-read", identities.service_principal(child), parent, "CAN_READ"))
    return out


PROFILE_LABELS = ["none", "CAN_READ", "CAN_EDIT", "CAN_MANAGE", "group-edit", "nested-group-read"]


def allowed(profile: Profile, required: str) -> bool:
    return RANK[profile.level] >= RANK[required]


def expect_denied(action: Any) -> None:
    """The action is refused with 403 PERMISSION_DENIED (REST calls and artifact transfers), or a search
    leaves the object out."""
    try:
        action()
    except NotVisible:
        return
    except Exception as e:  # the client sometimes wraps the server's answer in its own exception
        err: BaseException | None = e
        while err is not None:
            if isinstance(err, RestException) and err.error_code == "PERMISSION_DENIED":
                return
            if isinstance(err, requests.HTTPError) and err.response is not None:
                assert err.response.status_code == 403, err
                return
            err = err.__cause__ or err.__context__
        raise
    pytest.fail("the action was allowed")
