"""Durable delivery with real server processes: kill -9 mid-delivery loses nothing, two processes on one
database attempt each delivery once, and retries stop when the retry window ends."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server
from tests.server.events.conftest import EVENTS_ENV
from tests.server.events.receivers import Plan, wait_until

LOG = "/api/2.0/regista/webhooks/deliveries"


def mlflow_client(url: str) -> MlflowClient:
    return MlflowClient(tracking_uri=url, registry_uri=url)


def hook(client: MlflowClient, url: str) -> str:
    event = WebhookEvent("registered_model", "created")
    return client.create_webhook(f"h-{uuid.uuid4().hex[:8]}", url, [event]).webhook_id


def names_received(receiver, path: str) -> Counter[str]:
    return Counter(r.json()["data"]["name"] for r in receiver.at(path))


def test_kill_9_mid_delivery_loses_nothing(backend, tmp_path, receiver):
    path = f"/kill-{uuid.uuid4().hex[:8]}"
    release = threading.Event()
    receiver.plans[path] = Plan(hold=release)
    env = {**EVENTS_ENV, "REGISTA_WEBHOOK_TIMEOUT": "2"}
    with database_url(backend, tmp_path) as url:
        server = start_server(backend, url, tmp_path / "a", env=env)
        try:
            client = mlflow_client(server.url)
            hook(client, receiver.url + path)
            names = [f"k-{i}-{uuid.uuid4().hex[:6]}" for i in range(20)]
            client.create_registered_model(names[0])
            receiver.wait_for(path, 1)  # the first delivery is in flight, held by the receiver
            for name in names[1:]:
                client.create_registered_model(name)
        finally:
            server.process.kill()
            server.process.wait()
        receiver.plans[path] = Plan()
        release.set()
        restarted = start_server(backend, url, tmp_path / "b", env=env)
        try:
            wait_until(lambda: set(names_received(receiver, path)) >= set(names), what="every event after kill -9")
        finally:
            restarted.stop()


def test_two_server_processes_attempt_each_delivery_once(backend, tmp_path, receiver):
    path = f"/two-{uuid.uuid4().hex[:8]}"
    with database_url(backend, tmp_path) as url:
        first = start_server(backend, url, tmp_path / "a", env=EVENTS_ENV)
        second = start_server(backend, url, tmp_path / "b", env=EVENTS_ENV)
        try:
            clients = [mlflow_client(first.url), mlflow_client(second.url)]
            webhook_id = hook(clients[0], receiver.url + path)
            names = [f"two-{i}-{uuid.uuid4().hex[:6]}" for i in range(40)]
            for i, name in enumerate(names):
                clients[i % 2].create_registered_model(name)

            def all_succeeded() -> list[dict] | None:
                rows = httpx.get(first.url + LOG, params={"webhook_id": webhook_id, "max_results": 1000}).json()
                rows = rows["deliveries"]
                return rows if len(rows) >= 40 and all(d["state"] == "SUCCEEDED" for d in rows) else None

            rows = wait_until(all_succeeded, what="40 delivered")
            assert len(rows) == 40 and {d["attempts"] for d in rows} == {1}
            received = receiver.at(path)
            assert names_received(receiver, path) == Counter(names)
            assert len({r.headers["X-MLflow-Delivery-Id"] for r in received}) == len(received) == 40
        finally:
            first.stop()
            second.stop()


def test_retries_stop_when_the_retry_window_ends(backend, tmp_path, receiver):
    path = f"/down-{uuid.uuid4().hex[:8]}"
    receiver.plans[path] = Plan(answers=[(503, {})] * 100)
    env = {**EVENTS_ENV, "REGISTA_WEBHOOK_RETRY_WINDOW": "6"}
    with database_url(backend, tmp_path) as url:
        server = start_server(backend, url, tmp_path, env=env)
        try:
            client = mlflow_client(server.url)
            webhook_id = hook(client, receiver.url + path)
            client.create_registered_model(f"down-{uuid.uuid4().hex[:6]}")

            def failed() -> dict | None:
                rows = httpx.get(server.url + LOG, params={"webhook_id": webhook_id}).json()["deliveries"]
                return rows[0] if rows and rows[0]["state"] == "FAILED" else None

            delivery = wait_until(failed, what="the delivery given up")
            # Given up (FAILED) although the receiver never recovered; how many attempts fit in the window
            # depends on the machine. No retry is scheduled past give_up_at.
            assert delivery["last_error"] == "HTTP 503" and delivery["attempts"] >= 1
            assert delivery["attempts"] == len(receiver.at(path)) == len(delivery["attempt_log"])
        finally:
            server.stop()
