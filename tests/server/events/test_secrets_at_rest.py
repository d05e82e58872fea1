"""Webhook secrets encrypted at rest, with real server processes: what the database holds, plaintext rows
from before encryption sealed at start, a key rotation (REGISTA_SECRET_KEYS, `regista secrets rotate`)
under which deliveries stay signed correctly, and a server refusing to start with a key that opens nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from databricks.sdk.service.ml import HttpUrlSpec, JobSpec, RegistryWebhookEvent, RegistryWebhookStatus
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from sqlalchemy import create_engine, text

from regista.server.secret_box import PREFIX, SecretBox, SecretKeyError, new_key
from tests.fixtures.databases import database_url
from tests.fixtures.identities import workspace_client
from tests.fixtures.live_server import start_server
from tests.server.events.conftest import EVENTS_ENV
from tests.server.events.receivers import databricks_signature_ok
from tests.server.events.test_webhooks_mlflow import verify_mlflow

SECRET = "at-rest-s3cret"
AUTHORIZATION = "Bearer receiver-tok-123"
JOB_TOKEN = "dapi-job-token-456"


def stored(url: str) -> dict[str, tuple[str | None, str | None, str | None]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text('SELECT id, secret, "authorization", access_token FROM webhooks'))
            return {r.id: (r.secret, r.authorization, r.access_token) for r in rows}
    finally:
        engine.dispose()


def test_the_database_holds_no_webhook_secret_in_plaintext(events_server, receiver):
    ws = workspace_client(events_server.url, "unused")
    path = f"/at-rest-{uuid.uuid4().hex[:8]}"
    # Disabled, so that other tests' events are not delivered to them; the test call goes out regardless.
    http = ws.model_registry.create_webhook(
        events=[RegistryWebhookEvent.MODEL_VERSION_CREATED], status=RegistryWebhookStatus.DISABLED,
        http_url_spec=HttpUrlSpec(url=receiver.url + path, secret=SECRET, authorization=AUTHORIZATION),
    ).webhook.id
    job = ws.model_registry.create_webhook(
        events=[RegistryWebhookEvent.MODEL_VERSION_CREATED], status=RegistryWebhookStatus.DISABLED,
        job_spec=JobSpec(job_id="42", access_token=JOB_TOKEN, workspace_url=receiver.url),
    ).webhook.id
    client = MlflowClient(tracking_uri=events_server.url, registry_uri=events_server.url)
    hook = client.create_webhook(f"at-rest-{uuid.uuid4().hex[:8]}", f"{receiver.url}{path}-m",
                                 [WebhookEvent("registered_model", "created")], secret=SECRET,
                                 status=WebhookStatus.DISABLED).webhook_id
    try:
        rows = stored(events_server.database_url)
        values = [v for v in (*rows[http], rows[job][2], rows[hook][0]) if v is not None]
        assert len(values) == 4
        assert all(v.startswith(PREFIX) for v in values)
        assert not any(s in v for v in values for s in (SECRET, AUTHORIZATION, JOB_TOKEN))
        # And the calls still carry them: the test calls are signed and authorized with the plaintext.
        ws.model_registry.test_registry_webhook(http)
        got = receiver.wait_for(path, 1)[-1]
        assert databricks_signature_ok(SECRET, got) and got.headers["Authorization"] == AUTHORIZATION
        ws.model_registry.test_registry_webhook(job)
        run_now = receiver.wait_for("/api/2.1/jobs/run-now", 1)[-1]
        assert run_now.headers["Authorization"] == f"Bearer {JOB_TOKEN}"
        client.test_webhook(hook)
        assert verify_mlflow(SECRET, receiver.wait_for(path + "-m", 1)[-1])
    finally:
        for webhook_id in (http, job):
            ws.model_registry.delete_webhook(id=webhook_id)
        client.delete_webhook(hook)


def _rotate(database: str, keys: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regista.cli.main", "secrets", "rotate", "--backend-store-uri", database],
        capture_output=True, text=True, env={**os.environ, "REGISTA_SECRET_KEYS": keys}, timeout=120,
    )


def test_plaintext_is_sealed_at_start_and_keys_rotate_without_breaking_signatures(backend, tmp_path, receiver):
    k1, k2, k3 = new_key(), new_key(), new_key()
    path = f"/rotate-{uuid.uuid4().hex[:8]}"
    with database_url(backend, tmp_path) as url:
        first = start_server(backend, url, tmp_path / "a", env={**EVENTS_ENV, "REGISTA_SECRET_KEYS": k1})
        try:
            client = MlflowClient(tracking_uri=first.url, registry_uri=first.url)
            event = WebhookEvent("registered_model", "created")
            hooks = [client.create_webhook(f"r{i}-{uuid.uuid4().hex[:6]}", receiver.url + path, [event],
                                           secret=SECRET).webhook_id for i in range(2)]
        finally:
            first.stop()
        # One row as a server before encryption left it: plaintext.
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE webhooks SET secret = :s WHERE id = :i"), {"s": SECRET, "i": hooks[1]})
        engine.dispose()

        # Start with a new first key and the old one after it: everything is sealed with the new key.
        second = start_server(backend, url, tmp_path / "b", env={**EVENTS_ENV, "REGISTA_SECRET_KEYS": f"{k2},{k1}"})
        try:
            rows = stored(url)
            assert all(SecretBox([k2.encode()]).open(rows[h][0]) == SECRET for h in hooks)
            client = MlflowClient(tracking_uri=second.url, registry_uri=second.url)
            client.create_registered_model(f"rot-{uuid.uuid4().hex[:8]}")
            got = receiver.wait_for(path, 2)
            assert len(got) == 2 and all(verify_mlflow(SECRET, r) for r in got)
        finally:
            second.stop()

        # Offline rotation to k3 with the CLI; afterwards k3 alone opens everything.
        done = _rotate(url, f"{k3},{k2}")
        assert done.returncode == 0, done.stderr
        assert "re-encrypted: 2 webhooks" in done.stdout
        rows = stored(url)
        assert all(SecretBox([k3.encode()]).open(rows[h][0]) == SECRET for h in hooks)
        with pytest.raises(SecretKeyError):
            SecretBox([k2.encode()]).open(rows[hooks[0]][0])

        # A server given only a retired key refuses to start, and says why; the CLI refuses likewise.
        with pytest.raises(RuntimeError, match="cannot be decrypted"):
            start_server(backend, url, tmp_path / "c", env={**EVENTS_ENV, "REGISTA_SECRET_KEYS": k1})
        refused = _rotate(url, k1)
        assert refused.returncode == 1 and "cannot be decrypted" in refused.stderr
        assert stored(url) == rows
