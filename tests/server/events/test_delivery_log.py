"""Delivery with retries and the delivery log: a receiver that fails twice gets the event on the third
attempt (after at least its Retry-After), a 4xx is final, admins list, filter and replay deliveries over
REST and with `regista webhooks deliveries`, and a hung receiver never holds up registry requests."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.events.receivers import Plan, wait_until

LOG = "/api/2.0/regista/webhooks/deliveries"


@pytest.fixture
def client(events_server) -> MlflowClient:
    return MlflowClient(tracking_uri=events_server.url, registry_uri=events_server.url)


def hook_at(client: MlflowClient, url: str, *events: tuple[str, str]) -> str:
    events = events or (("registered_model", "created"),)
    return client.create_webhook(f"h-{uuid.uuid4().hex[:8]}", url, [WebhookEvent(*e) for e in events]).webhook_id


def deliveries(server, **params) -> list[dict]:
    r = httpx.get(server.url + LOG, params=params)
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def settled(server, webhook_id: str, count: int = 1) -> list[dict]:
    """The webhook's deliveries once `count` of them are no longer pending."""

    def done() -> list[dict] | None:
        rows = [d for d in deliveries(server, webhook_id=webhook_id) if d["state"] != "PENDING"]
        return rows if len(rows) >= count else None

    return wait_until(done, what="settled deliveries")


class TestRetries:
    def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(self, client, receiver, events_server):
        path = f"/flaky-{uuid.uuid4().hex[:8]}"
        receiver.plans[path] = Plan(answers=[(503, {"Retry-After": "2"}), (500, {})])
        webhook_id = hook_at(client, receiver.url + path)
        client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
        got = receiver.wait_for(path, 3)
        assert len({r.headers["X-MLflow-Delivery-Id"] for r in got}) == 1
        [delivery] = settled(events_server, webhook_id)
        assert (delivery["state"], delivery["attempts"], delivery["last_status_code"]) == ("SUCCEEDED", 3, 200)
        log = delivery["attempt_log"]
        assert [a.get("status_code") for a in log] == [503, 500, 200]
        assert log[0]["error"] == "HTTP 503" and "error" not in log[2]
        # Retry-After: 2 was honoured (the first backoff alone would be about one second).
        assert log[1]["started_at"] - log[0]["started_at"] >= 2000

    def test_a_client_error_is_final(self, client, receiver, events_server):
        path = f"/gone-{uuid.uuid4().hex[:8]}"
        receiver.plans[path] = Plan(answers=[(410, {})])
        webhook_id = hook_at(client, receiver.url + path)
        client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
        [delivery] = settled(events_server, webhook_id)
        assert (delivery["state"], delivery["attempts"], delivery["last_error"]) == ("FAILED", 1, "HTTP 410")
        assert len(receiver.at(path)) == 1


class TestDeliveryLog:
    def test_filters_and_pages(self, client, receiver, events_server):
        path = f"/log-{uuid.uuid4().hex[:8]}"
        webhook_id = hook_at(client, receiver.url + path, ("registered_model", "created"),
                             ("model_version", "created"))
        name = f"m-{uuid.uuid4().hex[:8]}"
        client.create_registered_model(name)
        client.create_model_version(name, "s3://bucket/model")
        client.create_model_version(name, "s3://bucket/model")
        settled(events_server, webhook_id, 3)
        assert len(deliveries(events_server, webhook_id=webhook_id, state="SUCCEEDED")) == 3
        assert len(deliveries(events_server, webhook_id=webhook_id, event="model_version.created")) == 2
        assert deliveries(events_server, webhook_id=webhook_id, state="FAILED") == []
        first = httpx.get(events_server.url + LOG, params={"webhook_id": webhook_id, "max_results": 2}).json()
        second = httpx.get(events_server.url + LOG, params={"webhook_id": webhook_id, "max_results": 2,
                                                            "page_token": first["next_page_token"]}).json()
        assert len(first["deliveries"]) == 2 and len(second["deliveries"]) == 1
        one = httpx.get(f"{events_server.url}{LOG}/{second['deliveries'][0]['id']}").json()["delivery"]
        assert one["payload"].startswith("{") and one["attempt_log"][0]["status_code"] == 200

    @pytest.mark.parametrize("params", [{"state": "LOST"}, {"channel": "pigeon"}, {"max_results": 0},
                                        {"page_token": "nope"}])
    def test_bad_filters_are_refused(self, events_server, params):
        assert_error(httpx.get(events_server.url + LOG, params=params), 400, "INVALID_PARAMETER_VALUE")

    def test_a_missing_delivery_is_404(self, events_server):
        assert_error(httpx.get(f"{events_server.url}{LOG}/999999999"), 404, "RESOURCE_DOES_NOT_EXIST")

    def test_only_admins_read_and_replay(self, events_auth_server, events_identities):
        user = events_identities.user()
        headers = {"Authorization": f"Bearer {user.token}"}
        assert_error(httpx.get(events_auth_server.url + LOG, headers=headers), 403, "PERMISSION_DENIED")
        assert_error(httpx.post(events_auth_server.url + LOG + "/replay", json={"state": "FAILED"}, headers=headers),
                     403, "PERMISSION_DENIED")
        admin = httpx.get(events_auth_server.url + LOG, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert admin.status_code == 200


class TestReplay:
    def test_rest_replay_sends_a_failed_delivery_again(self, client, receiver, events_server):
        path = f"/replay-{uuid.uuid4().hex[:8]}"
        receiver.plans[path] = Plan(answers=[(400, {})])
        webhook_id = hook_at(client, receiver.url + path)
        client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
        [failed] = settled(events_server, webhook_id)
        assert failed["state"] == "FAILED"
        r = httpx.post(events_server.url + LOG + "/replay", json={"ids": [failed["id"]]})
        assert r.json() == {"replayed": 1}
        got = receiver.wait_for(path, 2)
        assert got[0].headers["X-MLflow-Delivery-Id"] == got[1].headers["X-MLflow-Delivery-Id"]
        done = wait_until(lambda: [d for d in deliveries(events_server, webhook_id=webhook_id)
                                   if d["state"] == "SUCCEEDED"], what="replayed delivery")
        assert done[0]["attempts"] == 2

    def test_replay_needs_ids_or_filters(self, events_server):
        assert_error(httpx.post(events_server.url + LOG + "/replay", json={}), 400, "INVALID_PARAMETER_VALUE")
        assert_error(httpx.post(events_server.url + LOG + "/replay", json={"ids": [987654321]}),
                     404, "RESOURCE_DOES_NOT_EXIST")

    def test_cli_lists_and_replays(self, client, receiver, events_server):
        path = f"/cli-{uuid.uuid4().hex[:8]}"
        receiver.plans[path] = Plan(answers=[(400, {})])
        webhook_id = hook_at(client, receiver.url + path)
        client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
        [failed] = settled(events_server, webhook_id)
        base = [sys.executable, "-m", "regista.cli.main", "webhooks", "deliveries"]
        db = ["--backend-store-uri", events_server.database_url]
        listed = subprocess.run([*base, "list", "--webhook-id", webhook_id, "--state", "FAILED", *db],
                                capture_output=True, text=True, check=True).stdout
        assert failed["id"] in listed and "HTTP 400" in listed
        replayed = subprocess.run([*base, "replay", failed["id"], *db], capture_output=True, text=True, check=True)
        assert replayed.stdout.strip() == "replaying 1 deliveries"
        receiver.wait_for(path, 2)


class TestIsolation:
    def test_a_hung_receiver_does_not_hold_up_registry_requests(self, client, receiver, events_server):
        path = f"/hung-{uuid.uuid4().hex[:8]}"
        release = threading.Event()
        receiver.plans[path] = Plan(hold=release)
        hook_at(client, receiver.url + path)
        try:
            client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
            receiver.wait_for(path, 1)
            # The dispatcher's call is now stuck in the receiver; the registry keeps answering writes.
            names = [f"m-{uuid.uuid4().hex[:8]}" for _ in range(10)]
            for name in names:
                client.create_registered_model(name)
                client.create_model_version(name, "s3://bucket/model")
            assert not release.is_set()
            assert {m.name for m in client.search_registered_models(max_results=1000)}.issuperset(names)
        finally:
            release.set()
        receiver.wait_for(path, 11)
