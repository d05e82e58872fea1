"""Experiment permissions on the tracking API and the artifact proxy, with the unmodified mlflow client.

Every caller is a service principal holding exactly one level on the experiment (none, CAN_READ, CAN_EDIT,
CAN_MANAGE, CAN_EDIT through a group, CAN_READ through a nested group); every action either works or is
refused with 403 PERMISSION_DENIED, and a refused action changes nothing. Searches never fail for
visibility: they leave out what the caller may not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
from mlflow.entities import LoggedModelInput, Metric, Param, RunTag
from mlflow.exceptions import RestException
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from tests.fixtures.wire import assert_error
from tests.server.tracking.permission_world import (
    ARTIFACTS,
    PROFILE_LABELS,
    Admin,
    NotVisible,
    Profile,
    World,
    allowed,
    expect_denied,
    make_profiles,
)

Action = Callable[[Any, World, Path], Any]


@pytest.fixture(scope="module")
def admin(auth_server) -> Iterator[Admin]:
    a = Admin(auth_server.url)
    yield a
    a.close()


@pytest.fixture(scope="module")
def profiles(identities) -> dict[str, Profile]:
    return {p.label: p for p in make_profiles(identities)}


def _granted_world(admin: Admin, identities: Any, profile: Profile, name: str) -> World:
    w = admin.world(name)
    if profile.grantee is not None:
        identities.grant("experiments", w.experiment_id, profile.grantee, profile.level)
    return w


@pytest.fixture(scope="module")
def read_worlds(admin, identities, profiles) -> dict[str, World]:
    """One experiment per profile for the read-only actions (they change nothing, so they can share it)."""
    import uuid

    return {label: _granted_world(admin, identities, p, f"perm-read-{label}-{uuid.uuid4().hex[:8]}")
            for label, p in profiles.items()}


def _visible(found: list[str], wanted: str) -> None:
    if wanted not in found:
        raise NotVisible


def _raw(client: Any, method: str, url_path: str, body: Any = None, content: bytes | None = None,
         **params: Any) -> Any:
    """A call the mlflow client has no method for (the web UI's routes), as the caller."""
    import os

    r = httpx.request(method, f"{mlflow.get_tracking_uri()}{url_path}", params=params, json=body, content=content,
                      headers={"Authorization": f"Bearer {os.environ['MLFLOW_TRACKING_TOKEN']}"})
    if r.status_code != 200:
        raise RestException(r.json())
    return r.json() if r.headers["content-type"] == "application/json" else r.content


AJAX = "/ajax-api/2.0/mlflow"


def _download(client: Any, w: World, tmp: Path) -> None:
    local = mlflow.artifacts.download_artifacts(artifact_uri=f"mlflow-artifacts:/{w.artifact}", dst_path=str(tmp))
    assert Path(local).read_bytes() == b"hello"


def _upload(client: Any, w: World, tmp: Path) -> None:
    f = tmp / "upload.txt"
    f.write_text("new")
    # Straight to the proxy at the run's artifact location (client.log_artifact would read the run first).
    get_artifact_repository(f"mlflow-artifacts:/{w.experiment_id}/{w.run_id}/artifacts").log_artifact(str(f))


def _delete_artifact(client: Any, w: World, tmp: Path) -> None:
    get_artifact_repository(f"mlflow-artifacts:/{w.experiment_id}/{w.run_id}/artifacts").delete_artifacts(
        "hello.txt")


READ_ACTIONS: dict[str, Action] = {
    "get_experiment": lambda c, w, t: c.get_experiment(w.experiment_id),
    "get_experiment_by_name": lambda c, w, t: c.get_experiment_by_name(w.name),
    "search_experiments": lambda c, w, t: _visible(
        [e.experiment_id for e in c.search_experiments(filter_string=f"name = '{w.name}'")], w.experiment_id),
    "get_run": lambda c, w, t: c.get_run(w.run_id),
    "search_runs": lambda c, w, t: _visible([r.info.run_id for r in c.search_runs([w.experiment_id])], w.run_id),
    "get_metric_history": lambda c, w, t: c.get_metric_history(w.run_id, "m"),
    "get_logged_model": lambda c, w, t: c.get_logged_model(w.model_id),
    "search_logged_models": lambda c, w, t: _visible(
        [m.model_id for m in c.search_logged_models([w.experiment_id])], w.model_id),
    "download_artifact": _download,
    "list_artifacts": lambda c, w, t: _visible([f.path for f in c.list_artifacts(w.run_id)], "hello.txt"),
    "list_run_artifacts_endpoint": lambda c, w, t: _raw(c, "GET", "/api/2.0/mlflow/artifacts/list",
                                                        run_id=w.run_id),
    "get_metric_history_bulk": lambda c, w, t: _raw(c, "GET", f"{AJAX}/metrics/get-history-bulk",
                                                    run_id=w.run_id, metric_key="m"),
    "get_metric_history_bulk_interval": lambda c, w, t: _raw(c, "GET", f"{AJAX}/metrics/get-history-bulk-interval",
                                                             run_ids=w.run_id, metric_key="m"),
    "search_datasets": lambda c, w, t: _raw(c, "POST", f"{AJAX}/experiments/search-datasets",
                                            {"experiment_ids": [w.experiment_id]}),
    "get_artifact_web_ui": lambda c, w, t: _raw(c, "GET", "/get-artifact", run_id=w.run_id, path="hello.txt"),
    "list_logged_model_artifacts": lambda c, w, t: _raw(
        c, "GET", f"/api/2.0/mlflow/logged-models/{w.model_id}/artifacts/directories"),
    "get_logged_model_artifact_file": lambda c, w, t: _raw(
        c, "GET", f"{AJAX}/logged-models/{w.model_id}/artifacts/files", artifact_file_path="MLmodel"),
}

WRITE_ACTIONS: dict[str, tuple[str, Action]] = {
    "create_run": ("CAN_EDIT", lambda c, w, t: c.create_run(w.experiment_id)),
    "log_metric": ("CAN_EDIT", lambda c, w, t: c.log_metric(w.run_id, "m", 2.0, step=1)),
    "log_param": ("CAN_EDIT", lambda c, w, t: c.log_param(w.run_id, "q", "2")),
    "log_batch": ("CAN_EDIT", lambda c, w, t: c.log_batch(
        w.run_id, metrics=[Metric("m", 3.0, 5, 2)], params=[Param("b", "1")], tags=[RunTag("t", "1")])),
    "log_inputs": ("CAN_EDIT", lambda c, w, t: c.log_inputs(w.run_id, models=[LoggedModelInput(w.model_id)])),
    "set_run_tag": ("CAN_EDIT", lambda c, w, t: c.set_tag(w.run_id, "k", "v")),
    "update_run": ("CAN_EDIT", lambda c, w, t: c.set_terminated(w.run_id, "FINISHED")),
    "delete_run": ("CAN_EDIT", lambda c, w, t: c.delete_run(w.run_id)),
    "create_logged_model": ("CAN_EDIT", lambda c, w, t: c.create_logged_model(w.experiment_id, name="x")),
    "finalize_logged_model": ("CAN_EDIT", lambda c, w, t: c.finalize_logged_model(w.model_id, "READY")),
    "set_logged_model_tags": ("CAN_EDIT", lambda c, w, t: c.set_logged_model_tags(w.model_id, {"k": "v"})),
    "upload_artifact": ("CAN_EDIT", _upload),
    "delete_artifact": ("CAN_EDIT", _delete_artifact),
    "create_promptlab_run": ("CAN_EDIT", lambda c, w, t: _raw(c, "POST", f"{AJAX}/runs/create-promptlab-run", {
        "experiment_id": w.experiment_id, "prompt_template": "{{ q }}", "prompt_parameters": [{"key": "q", "value": "x"}],
        "model_route": "r", "model_input": "x", "mlflow_version": "3.17.2"})),
    "upload_artifact_web_ui": ("CAN_EDIT", lambda c, w, t: _raw(c, "POST", f"{AJAX}/upload-artifact", content=b"ui",
                                                                run_uuid=w.run_id, path="ui.txt")),
    "set_experiment_tag": ("CAN_EDIT", lambda c, w, t: c.set_experiment_tag(w.experiment_id, "k", "v")),
    "rename_experiment": ("CAN_MANAGE", lambda c, w, t: c.rename_experiment(w.experiment_id, w.name + "-new")),
    "delete_experiment": ("CAN_MANAGE", lambda c, w, t: c.delete_experiment(w.experiment_id)),
}


@pytest.mark.parametrize("action", list(READ_ACTIONS))
@pytest.mark.parametrize("label", PROFILE_LABELS)
def test_read_action(label, action, profiles, read_worlds, as_caller, tmp_path) -> None:
    profile, world = profiles[label], read_worlds[label]
    client = as_caller(profile.caller.token)
    run = READ_ACTIONS[action]
    if allowed(profile, "CAN_READ"):
        run(client, world, tmp_path)
    else:
        expect_denied(lambda: run(client, world, tmp_path))


@pytest.mark.parametrize("action", list(WRITE_ACTIONS))
@pytest.mark.parametrize("label", PROFILE_LABELS)
def test_write_action(label, action, profiles, admin, identities, as_caller, tmp_path, unique) -> None:
    profile = profiles[label]
    required, run = WRITE_ACTIONS[action]
    world = _granted_world(admin, identities, profile, f"perm-{action}-{unique}")
    client = as_caller(profile.caller.token)
    if allowed(profile, required):
        run(client, world, tmp_path)
        return
    before = admin.snapshot(world)
    expect_denied(lambda: run(client, world, tmp_path))
    assert admin.snapshot(world) == before


class TestRestoreNeedsTheirLevel:
    @pytest.mark.parametrize(("level", "works"), [("CAN_EDIT", False), ("CAN_MANAGE", True)])
    def test_restore_experiment(self, level, works, admin, identities, as_caller, unique) -> None:
        sp = identities.service_principal()
        w = admin.world(f"perm-restore-{unique}")
        identities.grant("experiments", w.experiment_id, sp, level)
        admin.call("POST", "/experiments/delete", {"experiment_id": w.experiment_id})
        client = as_caller(sp.token)
        if works:
            client.restore_experiment(w.experiment_id)
            assert client.get_experiment(w.experiment_id).lifecycle_stage == "active"
        else:
            expect_denied(lambda: client.restore_experiment(w.experiment_id))
            assert admin.snapshot(w)[0]["lifecycle_stage"] == "deleted"

    @pytest.mark.parametrize(("level", "works"), [("CAN_READ", False), ("CAN_EDIT", True)])
    def test_restore_run(self, level, works, admin, identities, as_caller, unique) -> None:
        sp = identities.service_principal()
        w = admin.world(f"perm-restore-run-{unique}")
        identities.grant("experiments", w.experiment_id, sp, level)
        admin.call("POST", "/runs/delete", {"run_id": w.run_id})
        client = as_caller(sp.token)
        if works:
            client.restore_run(w.run_id)
            assert client.get_run(w.run_id).info.lifecycle_stage == "active"
        else:
            expect_denied(lambda: client.restore_run(w.run_id))


class TestMetricsNamingAModel:
    @pytest.mark.parametrize(("level", "works"), [("CAN_READ", False), ("CAN_EDIT", True)])
    def test_a_model_of_another_experiment_needs_edit_there(self, level, works, admin, identities, as_caller,
                                                            unique) -> None:
        sp = identities.service_principal()
        mine, theirs = admin.world(f"perm-mm-a-{unique}"), admin.world(f"perm-mm-b-{unique}")
        identities.grant("experiments", mine.experiment_id, sp, "CAN_EDIT")
        identities.grant("experiments", theirs.experiment_id, sp, level)
        client = as_caller(sp.token)
        metric = Metric("acc", 0.5, 1, 0, model_id=theirs.model_id)
        if works:
            client.log_batch(mine.run_id, metrics=[metric])
            assert [m.key for m in client.get_logged_model(theirs.model_id).metrics] == ["acc"]
        else:
            before = admin.snapshot(mine), admin.snapshot(theirs)
            expect_denied(lambda: client.log_batch(mine.run_id, metrics=[metric]))
            assert (admin.snapshot(mine), admin.snapshot(theirs)) == before


class TestCreator:
    def test_anyone_may_create_an_experiment_and_then_manages_it(self, identities, as_caller, unique) -> None:
        creator, other = identities.service_principal(), identities.service_principal()
        client = as_caller(creator.token)
        eid = client.create_experiment(f"perm-creator-{unique}")
        run = client.create_run(eid)
        client.log_metric(run.info.run_id, "m", 1.0)
        client.set_experiment_tag(eid, "k", "v")
        client.rename_experiment(eid, f"perm-creator-{unique}-renamed")
        client.delete_experiment(eid)
        client.restore_experiment(eid)
        other_client = as_caller(other.token)
        expect_denied(lambda: other_client.get_experiment(eid))
        expect_denied(lambda: other_client.get_run(run.info.run_id))

    def test_the_default_experiment_is_shared_for_editing(self, identities, as_caller) -> None:
        client = as_caller(identities.service_principal().token)
        run = client.create_run("0")
        client.log_param(run.info.run_id, "p", "1")
        assert client.get_experiment("0").name == "Default"
        expect_denied(lambda: client.rename_experiment("0", "not-default"))


class TestErrorsBeforePermissions:
    def test_missing_objects_are_404_for_everyone(self, identities, as_caller) -> None:
        client = as_caller(identities.service_principal().token)
        with pytest.raises(RestException) as e:
            client.get_run("0" * 32)
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(RestException) as e:
            client.get_experiment("987654321")
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# Every tracking endpoint and artifact route (method, path): without a token each one answers 401.
TRACKING_ENDPOINTS = [
    ("POST", "/api/2.0/mlflow/experiments/create"), ("GET", "/api/2.0/mlflow/experiments/get"),
    ("GET", "/api/2.0/mlflow/experiments/get-by-name"), ("POST", "/api/2.0/mlflow/experiments/search"),
    ("GET", "/api/2.0/mlflow/experiments/search"), ("POST", "/api/2.0/mlflow/experiments/delete"),
    ("POST", "/api/2.0/mlflow/experiments/restore"), ("POST", "/api/2.0/mlflow/experiments/update"),
    ("POST", "/api/2.0/mlflow/experiments/set-experiment-tag"),
    ("POST", "/api/2.0/mlflow/experiments/delete-experiment-tag"),
    ("POST", "/api/2.0/mlflow/runs/create"), ("GET", "/api/2.0/mlflow/runs/get"),
    ("POST", "/api/2.0/mlflow/runs/update"), ("POST", "/api/2.0/mlflow/runs/delete"),
    ("POST", "/api/2.0/mlflow/runs/restore"), ("POST", "/api/2.0/mlflow/runs/log-metric"),
    ("POST", "/api/2.0/mlflow/runs/log-parameter"), ("POST", "/api/2.0/mlflow/runs/set-tag"),
    ("POST", "/api/2.0/mlflow/runs/delete-tag"), ("POST", "/api/2.0/mlflow/runs/log-batch"),
    ("POST", "/api/2.0/mlflow/runs/log-inputs"), ("POST", "/api/2.0/mlflow/runs/outputs"),
    ("POST", "/api/2.0/mlflow/runs/search"), ("GET", "/api/2.0/mlflow/metrics/get-history"),
    ("POST", "/api/2.0/mlflow/logged-models"), ("POST", "/api/2.0/mlflow/logged-models/search"),
    ("GET", "/api/2.0/mlflow/logged-models/m-1"), ("PATCH", "/api/2.0/mlflow/logged-models/m-1"),
    ("DELETE", "/api/2.0/mlflow/logged-models/m-1"), ("PATCH", "/api/2.0/mlflow/logged-models/m-1/tags"),
    ("DELETE", "/api/2.0/mlflow/logged-models/m-1/tags/k"), ("POST", "/api/2.0/mlflow/logged-models/m-1/params"),
    ("GET", "/api/2.0/mlflow/artifacts/list"), ("GET", "/ajax-api/2.0/mlflow/runs/get"),
    ("GET", ARTIFACTS), ("GET", ARTIFACTS + "/0/x.txt"), ("PUT", ARTIFACTS + "/0/x.txt"),
    ("DELETE", ARTIFACTS + "/0/x.txt"),
]


@pytest.mark.parametrize(("method", "path"), TRACKING_ENDPOINTS, ids=[f"{m} {p}" for m, p in TRACKING_ENDPOINTS])
def test_anonymous_callers_get_401(auth_server, method, path) -> None:
    body = None if method == "GET" else {}
    response = httpx.request(method, auth_server.url + path, json=body)
    assert_error(response, 401, "UNAUTHENTICATED")
