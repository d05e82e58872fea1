"""Endpoints that change under load: following an alias or a stage, config updates, a model that fails to
load, a model that crashes its worker, the concurrency limit, the per-request timeout and scale to zero."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from databricks.sdk.errors import OperationFailed

from tests.fixtures.identities import ADMIN_TOKEN
from tests.server.serving.conftest import (
    CONSTANT,
    ROWS,
    WAIT_S,
    create_endpoint,
    descendants,
    entity,
    invoke,
    split,
    wait_until,
)


class QueryLoop:
    """Queries an endpoint without pause in a thread and keeps every answer (status, served name, body)."""

    def __init__(self, url: str, endpoint: str) -> None:
        self.url, self.endpoint = url, endpoint
        self.answers: list[tuple[int, str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
            while not self._stop.is_set():
                try:
                    r = client.post(f"{self.url}/serving-endpoints/{self.endpoint}/invocations", json=split(ROWS[:1]))
                    self.answers.append((r.status_code, r.headers.get("served-model-name", ""), r.json()))
                except httpx.HTTPError as err:
                    self.answers.append((0, "", repr(err)))

    def stop(self) -> list[tuple[int, str, object]]:
        self._stop.set()
        self._thread.join(60)
        return self.answers


def _mlflow(url):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=url, registry_uri=url)


@pytest.fixture
def admin_mlflow(serving_server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", ADMIN_TOKEN)
    return _mlflow(serving_server.url)


class TestFollowingAnAlias:
    def test_alias_move_switches_versions_with_no_failed_request(
        self, serving_server, admin_ws, admin_mlflow, models
    ):
        admin_mlflow.set_registered_model_alias(models.classifier, "champion", "1")
        ep = create_endpoint(admin_ws, [entity(models.classifier, "@champion", "champ")])
        assert ep.config.served_entities[0].entity_version == "1"
        loop = QueryLoop(serving_server.url, ep.name)
        try:
            wait_until(lambda: len(loop.answers) >= 5, "queries before the move")
            admin_mlflow.set_registered_model_alias(models.classifier, "champion", "2")
            wait_until(lambda: any(a[2] == {"predictions": [CONSTANT]} for a in loop.answers[-3:]),
                       "answers from version 2")
        finally:
            answers = loop.stop()
        assert answers and all(status == 200 for status, _, _ in answers), [a for a in answers if a[0] != 200][:3]
        versions = [body == {"predictions": [CONSTANT]} for _, _, body in answers]
        # Version 1 until the switch, version 2 after it, never back.
        assert versions.index(True) > 0 and all(versions[versions.index(True):])
        got = admin_ws.serving_endpoints.get(ep.name)
        assert got.config.served_entities[0].entity_version == "2"
        admin_ws.serving_endpoints.delete(ep.name)
        admin_mlflow.delete_registered_model_alias(models.classifier, "champion")

    def test_following_a_stage(self, serving_server, admin_ws, admin_mlflow, models):
        admin_mlflow.transition_model_version_stage(models.classifier, "1", "Production")
        ep = create_endpoint(admin_ws, [entity(models.classifier, "Production", "prod")])
        assert ep.config.served_entities[0].entity_version == "1"
        admin_mlflow.transition_model_version_stage(models.classifier, "2", "Production")
        wait_until(
            lambda: invoke(serving_server.url, ep.name, split(ROWS[:1])).json() == {"predictions": [CONSTANT]},
            "the Production version to be served",
        )
        assert admin_ws.serving_endpoints.get(ep.name).config.served_entities[0].entity_version == "2"
        admin_ws.serving_endpoints.delete(ep.name)


class TestUpdateConfig:
    def test_update_rolls_over_with_no_failed_request(self, serving_server, admin_ws, models):
        from databricks.sdk.service.serving import ServedEntityInput

        ep = create_endpoint(admin_ws, [entity(models.classifier, "1", "main")])
        loop = QueryLoop(serving_server.url, ep.name)
        try:
            wait_until(lambda: len(loop.answers) >= 5, "queries before the update")
            updated = admin_ws.serving_endpoints.update_config_and_wait(
                ep.name, served_entities=[ServedEntityInput(entity_name=models.classifier, entity_version="2",
                                                            name="main", scale_to_zero_enabled=False)],
                timeout=timedelta(seconds=WAIT_S),
            )
            wait_until(lambda: any(a[2] == {"predictions": [CONSTANT]} for a in loop.answers[-3:]),
                       "answers from version 2")
        finally:
            answers = loop.stop()
        assert all(status == 200 for status, _, _ in answers)
        assert updated.config.config_version == 2
        assert updated.config.served_entities[0].entity_version == "2"
        assert updated.pending_config is None
        admin_ws.serving_endpoints.delete(ep.name)

    def test_a_model_that_cannot_load_fails_the_update_and_the_old_one_keeps_serving(
        self, serving_server, admin_ws, models
    ):
        from databricks.sdk.service.serving import ServedEntityInput

        ep = create_endpoint(admin_ws, [entity(models.classifier, "1", "main")])
        with pytest.raises(OperationFailed):
            admin_ws.serving_endpoints.update_config_and_wait(
                ep.name, served_entities=[ServedEntityInput(entity_name=models.unloadable, entity_version="1",
                                                            name="broken", scale_to_zero_enabled=False)],
                timeout=timedelta(seconds=WAIT_S),
            )
        got = admin_ws.serving_endpoints.get(ep.name)
        assert got.state.config_update.value == "UPDATE_FAILED"
        assert got.state.ready.value == "READY"
        assert got.config.served_entities[0].entity_version == "1"
        r = invoke(serving_server.url, ep.name, split(ROWS[:1]))
        assert r.status_code == 200 and r.headers["served-model-name"] == "main"
        # The load error is in the logs of the entity that failed.
        r = httpx.get(f"{serving_server.url}/api/2.0/serving-endpoints/{ep.name}/served-models/main/logs",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 200
        admin_ws.serving_endpoints.delete(ep.name)

    def test_a_new_endpoint_whose_model_cannot_load_is_update_failed_with_the_error_in_its_logs(
        self, admin_ws, models
    ):
        with pytest.raises(OperationFailed):
            create_endpoint(admin_ws, [entity(models.unloadable, "1", "broken")])
        failed = [e for e in admin_ws.serving_endpoints.list()
                  if e.config and e.config.served_entities[0].entity_name == models.unloadable]
        assert failed
        got = admin_ws.serving_endpoints.get(failed[0].name)
        assert got.state.config_update.value == "UPDATE_FAILED"
        assert got.state.ready.value == "NOT_READY"
        assert "boom while loading the model" in admin_ws.serving_endpoints.logs(got.name, "broken").logs
        admin_ws.serving_endpoints.delete(got.name)

    def test_a_second_update_while_one_is_in_progress_is_a_conflict(self, serving_server, admin_ws, models):
        ep = create_endpoint(admin_ws, [entity(models.classifier, "1", "main")])
        url = f"{serving_server.url}/api/2.0/serving-endpoints/{ep.name}/config"
        body = {"served_entities": [{"entity_name": models.classifier, "entity_version": "2", "name": "main"}]}
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        first = httpx.put(url, json=body, headers=headers)
        assert first.status_code == 200 and first.json()["state"]["config_update"] == "IN_PROGRESS"
        second = httpx.put(url, json=body, headers=headers)
        # The first may already have finished on a fast machine; then the second is simply accepted.
        if second.status_code != 200:
            assert second.status_code == 409
            assert second.json()["error_code"] == "RESOURCE_CONFLICT"
        admin_ws.serving_endpoints.wait_get_serving_endpoint_not_updating(ep.name, timeout=timedelta(seconds=WAIT_S))
        admin_ws.serving_endpoints.delete(ep.name)


class TestWorkerIsolation:
    def test_a_crashing_model_takes_down_only_its_worker_which_restarts(
        self, serving_server, admin_ws, models
    ):
        crash = create_endpoint(admin_ws, [entity(models.crasher, "1", "crasher")])
        other = create_endpoint(admin_ws, [entity(models.classifier, "1", "steady")])
        dead = invoke(serving_server.url, crash.name, {"dataframe_split": {"columns": ["x"], "data": [[-1.0]]}})
        assert dead.status_code == 503
        assert dead.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert invoke(serving_server.url, other.name, split(ROWS[:1])).status_code == 200
        # The next request waits for the restarted worker.
        again = invoke(serving_server.url, crash.name, {"dataframe_split": {"columns": ["x"], "data": [[2.0]]}})
        assert again.status_code == 200 and again.json() == {"predictions": [4.0]}
        assert "worker exited with code 3; restarting" in admin_ws.serving_endpoints.logs(crash.name, "crasher").logs
        for ep in (crash, other):
            admin_ws.serving_endpoints.delete(ep.name)


class TestLimits:
    def test_beyond_the_concurrency_limit_requests_get_429(self, serving_server, admin_ws, models):
        ep = create_endpoint(admin_ws, [entity(models.sleeper, "1", "slow", max_provisioned_concurrency=1)])
        slow = threading.Thread(target=invoke, args=(serving_server.url, ep.name,
                                                     {"dataframe_split": {"columns": ["x"], "data": [[3.0]]}}))
        slow.start()
        try:
            def busy() -> bool:
                text = admin_ws.serving_endpoints.export_metrics(ep.name).contents.read().decode()
                return f'concurrent_requests{{endpoint_name="{ep.name}"}} 1' in text

            wait_until(busy, "the slow request to be in flight")
            r = invoke(serving_server.url, ep.name, {"dataframe_split": {"columns": ["x"], "data": [[0.0]]}})
            assert r.status_code == 429
            assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        finally:
            slow.join()
        admin_ws.serving_endpoints.delete(ep.name)

    def test_a_request_past_the_timeout_is_a_504_and_the_endpoint_keeps_serving(
        self, serving_server, admin_ws, models
    ):
        ep = create_endpoint(admin_ws, [entity(models.sleeper, "1", "slow")])
        # The server's REGISTA_SERVING_REQUEST_TIMEOUT is 8 s (conftest).
        r = invoke(serving_server.url, ep.name, {"dataframe_split": {"columns": ["x"], "data": [[30.0]]}})
        assert r.status_code == 504
        assert r.json()["error_code"] == "DEADLINE_EXCEEDED"
        ok = invoke(serving_server.url, ep.name, {"dataframe_split": {"columns": ["x"], "data": [[0.0]]}})
        assert ok.status_code == 200 and ok.json() == {"predictions": [0.0]}
        admin_ws.serving_endpoints.delete(ep.name)

    def test_scale_to_zero_unloads_an_idle_worker_and_loads_it_on_the_next_request(
        self, serving_server, admin_ws, models
    ):
        ep = create_endpoint(admin_ws, [entity(models.classifier, "1", "sleepy", scale_to_zero_enabled=True)])
        # The server scales an idle worker to zero after 1 s (conftest).
        wait_until(lambda: "scaled to zero" in admin_ws.serving_endpoints.logs(ep.name, "sleepy").logs,
                   "the idle worker to stop")
        r = invoke(serving_server.url, ep.name, split(ROWS[:1]))
        assert r.status_code == 200
        logs = admin_ws.serving_endpoints.logs(ep.name, "sleepy").logs
        assert logs.count("starting worker for") == 2
        admin_ws.serving_endpoints.delete(ep.name)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class TestServerCrash:
    def test_workers_leave_when_the_server_is_killed(self, backend, tmp_path, monkeypatch):
        """kill -9 of the server leaves no model worker behind (they notice their parent is gone)."""
        import mlflow
        import pandas as pd
        from sklearn.dummy import DummyClassifier

        from tests.fixtures.databases import database_url
        from tests.fixtures.identities import workspace_client
        from tests.fixtures.live_server import start_server

        with database_url(backend, tmp_path) as url:
            server = start_server(backend, url, tmp_path, env={"REGISTA_SERVING_POLL_INTERVAL": "0.2"})
            try:
                mlflow.set_tracking_uri(server.url)
                mlflow.set_registry_uri(server.url)
                x = pd.DataFrame({"x": [1.0, 2.0]})
                with mlflow.start_run():
                    mlflow.sklearn.log_model(DummyClassifier().fit(x, [0, 1]), name="m", pip_requirements=["scikit-learn"], registered_model_name="m")
                ws = workspace_client(server.url, "unused")
                create_endpoint(ws, [entity("m", "1", "m")])
                workers = {p for p in descendants(server.process.pid)
                           if "regista.serving_worker" in open(f"/proc/{p}/cmdline").read()}
                assert workers
                server.process.kill()
                server.process.wait()
                wait_until(lambda: not any(_alive(p) for p in workers), "the workers to exit")
            finally:
                if server.process.poll() is None:
                    server.stop()
