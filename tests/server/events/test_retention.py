"""Retention of the events history (REGISTA_EVENTS_RETENTION): once older than the window, delivered
events leave the outbox and finished deliveries leave the delivery log with their attempts, while a
delivery still being retried stays whatever its age."""

from __future__ import annotations

import time
import uuid

import httpx
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent
from sqlalchemy import create_engine, text

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server
from tests.server.events.conftest import EVENTS_ENV
from tests.server.events.receivers import Plan, wait_until

LOG = "/api/2.0/regista/webhooks/deliveries"
RETENTION_S = 3


def log_of(url: str, webhook_id: str) -> list[dict]:
    r = httpx.get(url + LOG, params={"webhook_id": webhook_id})
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def counts(database: str) -> tuple[int, int, int]:
    """Rows in the outbox, in deliveries, and deliveries that have attempts."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return (conn.execute(text("SELECT count(*) FROM outbox_events")).scalar_one(),
                    conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one(),
                    conn.execute(text("SELECT count(DISTINCT delivery_id) FROM delivery_attempts")).scalar_one())
    finally:
        engine.dispose()


def test_history_older_than_the_window_is_pruned_but_pending_retries_stay(backend, tmp_path, receiver):
    ok, failing = f"/kept-{uuid.uuid4().hex[:8]}", f"/retrying-{uuid.uuid4().hex[:8]}"
    # The failing receiver answers 503 for a long while: its delivery stays PENDING, retried with backoff.
    receiver.plans[failing] = Plan(answers=[(503, {})] * 50)
    env = {**EVENTS_ENV, "REGISTA_EVENTS_RETENTION": str(RETENTION_S)}
    with database_url(backend, tmp_path) as url:
        server = start_server(backend, url, tmp_path / "data", env=env)
        try:
            client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
            event = [WebhookEvent("registered_model", "created")]
            delivered = client.create_webhook(f"ok-{uuid.uuid4().hex[:6]}", receiver.url + ok, event).webhook_id
            retried = client.create_webhook(f"r-{uuid.uuid4().hex[:6]}", receiver.url + failing, event).webhook_id
            client.create_registered_model(f"ret-{uuid.uuid4().hex[:8]}")
            receiver.wait_for(ok, 1)
            receiver.wait_for(failing, 1)
            assert wait_until(lambda: [d for d in log_of(server.url, delivered) if d["state"] == "SUCCEEDED"],
                              what="the delivery logged as succeeded")
            wait_until(lambda: not log_of(server.url, delivered), timeout=60, what="the delivery pruned")
            wait_until(lambda: counts(url)[0] == 0, timeout=60, what="the outbox emptied")
            time.sleep(RETENTION_S + 1.5)
            pending = log_of(server.url, retried)
            assert len(pending) == 1 and pending[0]["state"] == "PENDING"
            # Only the retrying delivery and its attempts are left.
            assert counts(url)[1:] == (1, 1)
        finally:
            server.stop()
            receiver.plans[failing] = Plan()
