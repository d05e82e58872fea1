"""`regista server --workers 2`: one process per data folder supervises the model workers and the other
forwards to it, so each served entity has one model worker, and rate limits, the concurrency limit and
metrics count every request once, whichever process a connection lands on. When the supervising process is
killed (kill -9), the other takes over and serves again.

Connections are not kept alive (one per request), so the kernel spreads them over both processes; which
process answered is read from the `pid` of the access log's lines."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.identities import ADMIN_TOKEN, IdentityFactory, workspace_client
from tests.fixtures.live_server import LiveServer, start_server
from tests.server.serving.conftest import (
    COLUMNS,
    ROWS,
    SERVING_ENV,
    create_endpoint,
    descendants,
    entity,
    split,
    wait_until,
)

ENV = {**SERVING_ENV, "REGISTA_SERVING_REQUEST_TIMEOUT": "120"}
# Requests sent at most while waiting for both processes to have answered (they always have long before).
MAX_SPREAD = 400


@pytest.fixture(scope="module")
def two_workers(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"two-workers-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp, "--auth", "--workers", "2", env=ENV)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def names(two_workers: LiveServer) -> dict[str, str]:
    return _log_models(two_workers.url)


def _log_models(url: str) -> dict[str, str]:
    """Registers an iris classifier and a `gate` model, whose predict waits until the file it is given exists."""
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    class Gate(mlflow.pyfunc.PythonModel):  # pickled by value: the worker loads it without this module
        def predict(self, context, model_input, params=None):
            path = str(model_input["gate"].iloc[0])
            deadline = time.monotonic() + 300
            while not os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.02)
            return ["open"]

    suffix = uuid.uuid4().hex[:8]
    found = {"classifier": f"iris-{suffix}", "gate": f"gate-{suffix}"}
    previous = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = ADMIN_TOKEN
    try:
        mlflow.set_tracking_uri(url)
        mlflow.set_registry_uri(url)
        x = pd.DataFrame(ROWS * 4, columns=COLUMNS)
        with mlflow.start_run():
            clf = LogisticRegression(max_iter=500).fit(x, [0, 2, 1] * 4)
            mlflow.sklearn.log_model(clf, name="clf", signature=infer_signature(x, clf.predict(x)),
                                     registered_model_name=found["classifier"])
            gates = pd.DataFrame({"gate": ["/nonexistent"]})
            mlflow.pyfunc.log_model(name="gate", python_model=Gate(), signature=infer_signature(gates, ["open"]),
                                    registered_model_name=found["gate"])
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        else:
            os.environ["MLFLOW_TRACKING_TOKEN"] = previous
    return found


# -- helpers -----------------------------------------------------------------------------------------
def _post(server: LiveServer, endpoint: str, payload: Any, token: str | None = ADMIN_TOKEN) -> httpx.Response:
    """One invocation on a connection of its own (`Connection: close`), so it may land on either process."""
    headers = {"Connection": "close", **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(f"{server.url}/serving-endpoints/{endpoint}/invocations", json=payload, headers=headers,
                      timeout=180)


def _get(server: LiveServer, path: str, token: str | None = ADMIN_TOKEN) -> httpx.Response:
    headers = {"Connection": "close", **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=60)


def _answered_by(server: LiveServer, path: str, status: int | None = None) -> list[int]:
    """The pid of the process that answered each request for `path` (with `status`), from the access log."""
    pids = []
    for line in (server.data_dir / "server.log").read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("logger") == "regista.access" and entry.get("path") == path:
            if status is None or entry.get("status") == status:
                pids.append(int(entry["pid"]))
    return pids


def _model_workers(server: LiveServer) -> dict[int, int]:
    """The model worker processes of the server's process tree: {pid: parent pid}."""
    found = {}
    for pid in descendants(server.process.pid):
        with contextlib.suppress(OSError):
            if "regista.serving_worker" in Path(f"/proc/{pid}/cmdline").read_text():
                found[pid] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return found


def _served_entities(ws: Any) -> int:
    return sum(len(ws.serving_endpoints.get(e.name).config.served_entities) for e in ws.serving_endpoints.list())


def _metric(text: str, family: str) -> int:
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines() if line.startswith(family + "{"))


# -- tests -------------------------------------------------------------------------------------------
class TestOneSupervisorForSeveralProcesses:
    def test_invocations_land_on_both_processes_and_one_model_worker_serves_them(self, two_workers, names):
        ws = workspace_client(two_workers.url, ADMIN_TOKEN)
        ep = create_endpoint(ws, [entity(names["classifier"], "1", "main")])
        path = f"/serving-endpoints/{ep.name}/invocations"
        statuses = []
        while len(set(_answered_by(two_workers, path))) < 2 and len(statuses) < MAX_SPREAD:
            r = _post(two_workers, ep.name, split(ROWS))
            statuses.append(r.status_code)
            assert r.headers["served-model-name"] == "main", r.text
            assert len(r.json()["predictions"]) == len(ROWS)
        assert set(statuses) == {200}
        assert len(set(_answered_by(two_workers, path))) == 2, "the kernel sent every connection to one process"
        # One model worker per served entity, all children of the one supervising process.
        workers = _model_workers(two_workers)
        assert len(workers) == _served_entities(ws)
        assert len(set(workers.values())) == 1
        sock = two_workers.data_dir / "serving" / "supervisor.sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600

    def test_a_per_endpoint_rate_limit_admits_exactly_n_calls_over_both_processes(self, two_workers, names):
        ws = workspace_client(two_workers.url, ADMIN_TOKEN)
        ep = create_endpoint(ws, [entity(names["classifier"], "1", "main")])
        limit = 12
        r = httpx.put(f"{two_workers.url}/api/2.0/serving-endpoints/{ep.name}/rate-limits",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                      json={"rate_limits": [{"calls": limit, "key": "endpoint", "renewal_period": "minute"}]})
        assert r.status_code == 200
        path = f"/serving-endpoints/{ep.name}/invocations"
        answers = []
        # Well within the minute of the window: a few dozen one-row requests.
        while len(answers) < 3 * limit or (len(set(_answered_by(two_workers, path))) < 2
                                           and len(answers) < MAX_SPREAD):
            answers.append(_post(two_workers, ep.name, split(ROWS[:1])))
        statuses = [a.status_code for a in answers]
        assert statuses.count(200) == limit, statuses
        assert statuses.count(429) == len(answers) - limit
        refused = [a for a in answers if a.status_code == 429]
        assert all(a.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED" for a in refused)
        assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in refused)
        assert set(_answered_by(two_workers, path, 429)) == set(_answered_by(two_workers, path)), \
            "both processes refused calls beyond the limit"
        assert len(set(_answered_by(two_workers, path))) == 2

    def test_export_metrics_counts_every_request_whichever_process_answers(self, two_workers, names):
        ws = workspace_client(two_workers.url, ADMIN_TOKEN)
        ep = create_endpoint(ws, [entity(names["classifier"], "1", "main")])
        calls = 20
        for _ in range(calls):
            assert _post(two_workers, ep.name, split(ROWS[:1])).status_code == 200
        assert len(set(_answered_by(two_workers, f"/serving-endpoints/{ep.name}/invocations"))) == 2
        path = f"/api/2.0/serving-endpoints/{ep.name}/metrics"
        seen = 0
        while len(set(_answered_by(two_workers, path))) < 2 and seen < MAX_SPREAD:
            r = _get(two_workers, path)
            seen += 1
            assert r.status_code == 200
            assert _metric(r.text, "request_count_total") == calls
            assert _metric(r.text, "request_latency_seconds_count") == calls
        assert len(set(_answered_by(two_workers, path))) == 2
        # The worker's logs and the OpenAPI document come from the supervisor too, through either process.
        logs = ws.serving_endpoints.logs(ep.name, "main").logs
        assert logs.count("starting worker for") == 1
        assert _get(two_workers, f"/api/2.0/serving-endpoints/{ep.name}/openapi").json()["info"]["title"] == ep.name

    def test_callers_without_permission_are_refused_by_both_processes_before_forwarding(
        self, two_workers, names
    ):
        ws = workspace_client(two_workers.url, ADMIN_TOKEN)
        ep = create_endpoint(ws, [entity(names["classifier"], "1", "main")])
        identities = IdentityFactory(two_workers.database_url)
        try:
            stranger = identities.user()
        finally:
            identities.close()
        path = f"/serving-endpoints/{ep.name}/invocations"
        sent = 0
        while len(set(_answered_by(two_workers, path, 403))) < 2 and sent < MAX_SPREAD:
            r = _post(two_workers, ep.name, split(ROWS[:1]), token=stranger.token)
            sent += 1
            assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
            assert _get(two_workers, f"/api/2.0/serving-endpoints/{ep.name}/metrics",
                        token=stranger.token).status_code == 403
            assert _post(two_workers, ep.name, split(ROWS[:1]), token=None).status_code == 401
        assert len(set(_answered_by(two_workers, path, 403))) == 2
        metrics = _get(two_workers, f"/api/2.0/serving-endpoints/{ep.name}/metrics").text
        assert _metric(metrics, "request_count_total") == 0
        assert _metric(metrics, "request_throttled_count_total") == 0

    def test_the_concurrency_limit_holds_for_the_whole_data_folder(self, two_workers, names, tmp_path):
        ws = workspace_client(two_workers.url, ADMIN_TOKEN)
        ep = create_endpoint(ws, [entity(names["gate"], "1", "gate", max_provisioned_concurrency=1)])
        gate = tmp_path / "open"
        held: list[httpx.Response] = []
        holder = threading.Thread(target=lambda: held.append(
            _post(two_workers, ep.name, {"dataframe_records": [{"gate": str(gate)}]})))
        holder.start()
        try:
            metrics_path = f"/api/2.0/serving-endpoints/{ep.name}/metrics"
            wait_until(lambda: _metric(_get(two_workers, metrics_path).text, "concurrent_requests") == 1,
                       "the first request to be in flight")
            path = f"/serving-endpoints/{ep.name}/invocations"
            sent = 0
            while len(set(_answered_by(two_workers, path, 429))) < 2 and sent < MAX_SPREAD:
                r = _post(two_workers, ep.name, {"dataframe_records": [{"gate": "/"}]})
                sent += 1
                assert r.status_code == 429, r.text
                assert "concurrency limit" in r.json()["message"]
            assert len(set(_answered_by(two_workers, path, 429))) == 2
        finally:
            gate.touch()
            holder.join()
        assert held[0].status_code == 200 and held[0].json() == {"predictions": ["open"]}
        assert _post(two_workers, ep.name, {"dataframe_records": [{"gate": "/"}]}).status_code == 200
        assert _metric(_get(two_workers, metrics_path).text, "request_throttled_count_total") == sent


class TestTakeover:
    def test_kill_9_of_the_supervising_process_hands_serving_to_the_other(
        self, backend, tmp_path, record_property
    ):
        with database_url(backend, tmp_path) as url:
            server = start_server(backend, url, tmp_path, "--auth", "--workers", "2", env=ENV)
            try:
                names = _log_models(server.url)
                ws = workspace_client(server.url, ADMIN_TOKEN)
                ep = create_endpoint(ws, [entity(names["classifier"], "1", "main")])
                assert _post(server, ep.name, split(ROWS)).status_code == 200
                ((old_worker, supervising),) = _model_workers(server).items()
                os.kill(supervising, 9)
                killed = time.monotonic()
                failed = 0
                while True:  # what clients see meanwhile: 503 TEMPORARILY_UNAVAILABLE until the model is back
                    r = _post(server, ep.name, split(ROWS))
                    if r.status_code == 200:
                        break
                    assert r.status_code == 503 and r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE", r.text
                    failed += 1
                    assert time.monotonic() - killed < 240, "serving did not come back"
                    time.sleep(0.05)
                gap = time.monotonic() - killed
                record_property("takeover_gap_s", round(gap, 2))
                print(f"\n{backend}: serving answered again {gap:.1f} s after kill -9 ({failed} requests refused)")
                wait_until(lambda: old_worker not in _model_workers(server), "the old model worker to exit")
                workers = _model_workers(server)
                assert len(workers) == 1
                ((new_worker, new_supervisor),) = workers.items()
                assert new_supervisor != supervising and new_worker != old_worker
                # Restarted once: the new supervisor's logs of the entity show one worker start.
                assert ws.serving_endpoints.logs(ep.name, "main").logs.count("starting worker for") == 1
                for _ in range(10):
                    assert _post(server, ep.name, split(ROWS)).status_code == 200
                assert _model_workers(server) == workers
                # Metrics start again with the new supervisor and count every request from there on.
                metrics = _get(server, f"/api/2.0/serving-endpoints/{ep.name}/metrics").text
                assert _metric(metrics, "request_count_total") == 11
            finally:
                server.stop()
