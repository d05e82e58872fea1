"""`regista dispatcher`: with the server's own dispatcher off (REGISTA_EVENTS_DISPATCHER=false), events wait in
the outbox until a dispatcher process of its own, on the same database and data folder (the key that opens
webhook secrets), delivers them, signed; it stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import httpx
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server
from tests.server.events.conftest import EVENTS_ENV
from tests.server.events.test_webhooks_mlflow import verify_mlflow

SECRET = "standalone-s3cret"
LOG = "/api/2.0/regista/webhooks/deliveries"


def test_a_dispatcher_process_delivers_what_the_server_recorded(backend, tmp_path, receiver):
    path = f"/standalone-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "data"
    env = {**EVENTS_ENV, "REGISTA_EVENTS_DISPATCHER": "false"}
    with database_url(backend, tmp_path) as url:
        server = start_server(backend, url, data, env=env)
        dispatcher = None
        try:
            client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
            hook = client.create_webhook(f"s-{uuid.uuid4().hex[:6]}", receiver.url + path,
                                         [WebhookEvent("registered_model", "created")], secret=SECRET).webhook_id
            name = f"standalone-{uuid.uuid4().hex[:8]}"
            client.create_registered_model(name)
            # No process dispatches: the event is recorded, nothing is delivered or even queued.
            assert httpx.get(server.url + LOG, params={"webhook_id": hook}).json()["deliveries"] == []
            assert receiver.at(path) == []
            dispatcher = subprocess.Popen(
                [sys.executable, "-m", "regista.cli.main", "dispatcher", "--backend-store-uri", url,
                 "--data-dir", str(data)],
                env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            [got] = receiver.wait_for(path, 1)
            assert got.json()["data"]["name"] == name and verify_mlflow(SECRET, got)
            dispatcher.send_signal(signal.SIGTERM)
            output, _ = dispatcher.communicate(timeout=60)
            assert dispatcher.returncode == 0, output.decode()
            assert b"regista dispatcher delivering events" in output
        finally:
            if dispatcher is not None and dispatcher.poll() is None:
                dispatcher.kill()
            server.stop()
