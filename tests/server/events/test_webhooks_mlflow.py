"""MLflow webhooks with the unmodified mlflow client: create, get, list, update, delete, test; deliveries
of registry events in MLflow's envelope, signed the way MLflow receivers verify them; admins only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from mlflow.exceptions import MlflowException

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.events.receivers import Received, wait_until

SECRET = "s3cr3t-mlflow"


def verify_mlflow(secret: str, received: Received) -> bool:
    """What an MLflow webhook receiver does (MLflow's docs): recompute v1,<base64 HMAC-SHA256> over
    "{delivery_id}.{timestamp}.{body}", compare in constant time, and refuse stale timestamps."""
    delivery_id = received.headers["X-MLflow-Delivery-Id"]
    stamp = received.headers["X-MLflow-Timestamp"]
    version, _, signature = received.headers["X-MLflow-Signature"].partition(",")
    signed = f"{delivery_id}.{stamp}.{received.body.decode()}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return version == "v1" and hmac.compare_digest(expected, signature) and abs(time.time() - int(stamp)) < 300


@pytest.fixture
def client(events_server) -> MlflowClient:
    return MlflowClient(tracking_uri=events_server.url, registry_uri=events_server.url)


def ev(entity: str, action: str) -> WebhookEvent:
    return WebhookEvent(entity, action)


def hook_name() -> str:
    return f"hook-{uuid.uuid4().hex[:8]}"


class TestCreateWebhook:
    def test_returns_the_webhook_without_its_secret(self, client, events_server, receiver):
        created = client.create_webhook(hook_name(), f"{receiver.url}/c", [ev("registered_model", "created")],
                                        description="d", secret=SECRET)
        assert created.status == WebhookStatus.ACTIVE and created.description == "d"
        assert [str(e) for e in created.events] == ["registered_model.created"]
        raw = httpx.get(f"{events_server.url}/api/2.0/mlflow/webhooks/{created.webhook_id}").json()["webhook"]
        assert "secret" not in raw and SECRET not in str(raw)

    @pytest.mark.parametrize("name", ["-bad", "bad name", "x" * 64])
    def test_an_invalid_name_is_refused(self, client, receiver, name):
        before = len(client.list_webhooks(max_results=1000))
        with pytest.raises(MlflowException) as err:
            client.create_webhook(name, f"{receiver.url}/c", [ev("registered_model", "created")])
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
        assert len(client.list_webhooks(max_results=1000)) == before

    def test_an_unsupported_scheme_is_refused(self, client):
        with pytest.raises(MlflowException) as err:
            client.create_webhook(hook_name(), "ftp://example.org/x", [ev("registered_model", "created")])
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"

    def test_no_events_is_refused(self, events_server, receiver):
        r = httpx.post(f"{events_server.url}/api/2.0/mlflow/webhooks",
                       json={"name": hook_name(), "url": f"{receiver.url}/c", "events": []})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_an_unknown_event_is_refused(self, events_server, receiver):
        r = httpx.post(f"{events_server.url}/api/2.0/mlflow/webhooks",
                       json={"name": hook_name(), "url": f"{receiver.url}/c",
                             "events": [{"entity": "RUN", "action": "CREATED"}]})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestGetListUpdateDelete:
    def test_get_update_delete(self, client, receiver):
        hook = client.create_webhook(hook_name(), f"{receiver.url}/u", [ev("model_version", "created")])
        assert client.get_webhook(hook.webhook_id).name == hook.name
        updated = client.update_webhook(hook.webhook_id, description="new", status=WebhookStatus.DISABLED,
                                        events=[ev("model_version_tag", "set")])
        assert updated.description == "new" and updated.status == WebhookStatus.DISABLED
        assert [str(e) for e in updated.events] == ["model_version_tag.set"]
        assert updated.last_updated_timestamp >= hook.last_updated_timestamp
        client.delete_webhook(hook.webhook_id)
        with pytest.raises(MlflowException) as err:
            client.get_webhook(hook.webhook_id)
        assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    def test_list_pages(self, client, receiver):
        for _ in range(3):
            client.create_webhook(hook_name(), f"{receiver.url}/l", [ev("model_version", "created")])
        first = client.list_webhooks(max_results=2)
        assert len(first) == 2 and first.token
        second = client.list_webhooks(max_results=2, page_token=first.token)
        assert {w.webhook_id for w in first}.isdisjoint({w.webhook_id for w in second})

    def test_max_results_out_of_range_is_refused(self, client):
        with pytest.raises(MlflowException) as err:
            client.list_webhooks(max_results=1001)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"


class TestDelivery:
    def test_registry_events_arrive_signed_in_mlflow_envelope(self, client, receiver):
        path = f"/ml-{uuid.uuid4().hex[:8]}"
        events = [ev("registered_model", "created"), ev("model_version", "created"), ev("model_version_tag", "set"),
                  ev("model_version_tag", "deleted"), ev("model_version_alias", "created"),
                  ev("model_version_alias", "deleted")]
        client.create_webhook(hook_name(), receiver.url + path, events, secret=SECRET)
        name = f"m-{uuid.uuid4().hex[:8]}"
        client.create_registered_model(name, tags={"team": "a"}, description="desc")
        client.create_model_version(name, "s3://bucket/model", tags={"k": "v"}, description="v1")
        client.set_model_version_tag(name, "1", "stage", "qa")
        client.delete_model_version_tag(name, "1", "stage")
        client.set_registered_model_alias(name, "champion", "1")
        client.delete_registered_model_alias(name, "champion")
        got = receiver.wait_for(path, 6)
        by_event = {f"{r.json()['entity']}.{r.json()['action']}": r for r in got}
        assert set(by_event) == {str(e) for e in events}
        assert all(verify_mlflow(SECRET, r) for r in got)
        assert len({r.headers["X-MLflow-Delivery-Id"] for r in got}) == 6
        assert by_event["registered_model.created"].json()["data"] == {
            "name": name, "tags": {"team": "a"}, "description": "desc"}
        assert by_event["model_version.created"].json()["data"] == {
            "name": name, "version": "1", "source": "s3://bucket/model", "run_id": None, "tags": {"k": "v"},
            "description": "v1"}
        assert by_event["model_version_tag.set"].json()["data"] == {
            "name": name, "version": "1", "key": "stage", "value": "qa"}
        assert by_event["model_version_tag.deleted"].json()["data"] == {"name": name, "version": "1", "key": "stage"}
        assert by_event["model_version_alias.created"].json()["data"] == {
            "name": name, "alias": "champion", "version": "1"}
        assert by_event["model_version_alias.deleted"].json()["data"] == {"name": name, "alias": "champion"}
        assert by_event["registered_model.created"].json()["timestamp"].endswith("+00:00")

    def test_a_prompt_is_a_prompt_event(self, client, receiver, events_server):
        path = f"/prompt-{uuid.uuid4().hex[:8]}"
        client.create_webhook(hook_name(), receiver.url + path, [ev("prompt", "created")])
        name = f"p-{uuid.uuid4().hex[:8]}"
        # What the client's prompt registry sends (the model API itself refuses prompt tags client-side).
        tags = [{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "owner", "value": "x"}]
        r = httpx.post(f"{events_server.url}/api/2.0/mlflow/registered-models/create", json={"name": name, "tags": tags})
        assert r.status_code == 200, r.text
        body = receiver.wait_for(path, 1)[0].json()
        assert (body["entity"], body["action"]) == ("prompt", "created")
        assert body["data"] == {"name": name, "tags": {"owner": "x"}, "description": None}

    def test_prompt_tags_version_tags_and_aliases_are_prompt_events(self, client, receiver):
        path = f"/prompt-life-{uuid.uuid4().hex[:8]}"
        events = [ev("prompt", "created"), ev("prompt_version", "created"), ev("prompt_tag", "set"),
                  ev("prompt_tag", "deleted"), ev("prompt_version_tag", "set"), ev("prompt_version_tag", "deleted"),
                  ev("prompt_alias", "created"), ev("prompt_alias", "deleted"),
                  # A prompt's changes must not also arrive as the model events.
                  ev("model_version_tag", "set"), ev("model_version_alias", "created")]
        client.create_webhook(hook_name(), receiver.url + path, events, secret=SECRET)
        name = f"p-{uuid.uuid4().hex[:8]}"
        # The unmodified client's prompt registry API.
        client.register_prompt(name, "Hello {{name}}!", commit_message="first")
        client.set_prompt_tag(name, "team", "nlp")
        client.delete_prompt_tag(name, "team")
        client.set_prompt_version_tag(name, 1, "reviewed", "yes")
        client.delete_prompt_version_tag(name, 1, "reviewed")
        client.set_prompt_alias(name, "production", 1)
        client.delete_prompt_alias(name, "production")
        # The client's prompt registry also tags the prompt itself (e.g. the experiments it is linked to).
        wanted = [
            ("prompt_tag.set", {"name": name, "key": "team", "value": "nlp"}),
            ("prompt_tag.deleted", {"name": name, "key": "team"}),
            ("prompt_version_tag.set", {"name": name, "version": "1", "key": "reviewed", "value": "yes"}),
            ("prompt_version_tag.deleted", {"name": name, "version": "1", "key": "reviewed"}),
            ("prompt_alias.created", {"name": name, "alias": "production", "version": "1"}),
            ("prompt_alias.deleted", {"name": name, "alias": "production"}),
        ]

        def arrived() -> list | None:
            seen = [(f"{r.json()['entity']}.{r.json()['action']}", r.json()["data"]) for r in receiver.at(path)]
            return seen if all(w in seen for w in wanted) else None

        seen = wait_until(arrived, what="the prompt events")
        kinds = {kind for kind, _ in seen}
        assert kinds == {str(e) for e in events[:8]}
        created = next(data for kind, data in seen if kind == "prompt_version.created")
        assert created["template"] == "Hello {{name}}!"
        got = receiver.at(path)
        assert all(verify_mlflow(SECRET, r) for r in got)

    def test_a_plain_models_tags_are_no_mlflow_event(self, client, receiver):
        path = f"/rm-tag-{uuid.uuid4().hex[:8]}"
        client.create_webhook(hook_name(), receiver.url + path, [ev("prompt_tag", "set"), ev("registered_model", "created")])
        name = f"m-{uuid.uuid4().hex[:8]}"
        client.create_registered_model(name)
        client.set_registered_model_tag(name, "team", "a")
        client.create_registered_model(name + "-after")  # delivered after the tag's event would have been
        got = receiver.wait_for(path, 2)
        assert [r.json()["entity"] for r in got] == ["registered_model", "registered_model"]

    def test_a_disabled_webhook_gets_nothing(self, client, receiver, events_server):
        path = f"/dis-{uuid.uuid4().hex[:8]}"
        off = client.create_webhook(hook_name(), receiver.url + path + "-off", [ev("registered_model", "created")],
                                    status=WebhookStatus.DISABLED)
        client.create_webhook(hook_name(), receiver.url + path, [ev("registered_model", "created")])
        client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
        receiver.wait_for(path, 1)
        # Both webhooks were considered in the same dispatch of the event: the disabled one got no delivery.
        log = httpx.get(f"{events_server.url}/api/2.0/regista/webhooks/deliveries",
                        params={"webhook_id": off.webhook_id}).json()
        assert log["deliveries"] == [] and receiver.at(path + "-off") == []


class TestTestWebhook:
    def test_sends_a_signed_example_and_reports_the_answer(self, client, receiver):
        path = f"/t-{uuid.uuid4().hex[:8]}"
        hook = client.create_webhook(hook_name(), receiver.url + path, [ev("model_version", "created")],
                                     secret=SECRET, status=WebhookStatus.DISABLED)
        result = client.test_webhook(hook.webhook_id, event=ev("model_version_alias", "created"))
        assert result.success and result.response_status == 200 and result.response_body == "received"
        got = receiver.wait_for(path, 1)[0]
        assert verify_mlflow(SECRET, got)
        assert got.json()["data"] == {"name": "example_model", "alias": "example_alias", "version": "1"}

    def test_an_unreachable_target_is_a_failed_result(self, client):
        hook = client.create_webhook(hook_name(), "http://127.0.0.1:9/nothing", [ev("model_version", "created")])
        result = client.test_webhook(hook.webhook_id)
        assert not result.success and result.error_message


class TestPermissions:
    def test_only_admins_manage_webhooks(self, events_auth_server, events_identities, receiver):
        user = events_identities.user()
        api = f"{events_auth_server.url}/api/2.0/mlflow/webhooks"
        body = {"name": hook_name(), "url": f"{receiver.url}/p", "events": [{"entity": "MODEL_VERSION",
                                                                              "action": "CREATED"}]}
        assert_error(httpx.post(api, json=body, headers={"Authorization": f"Bearer {user.token}"}),
                     403, "PERMISSION_DENIED")
        created = httpx.post(api, json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["webhook"]
        for method, url in (("GET", api), ("GET", f"{api}/{created['webhook_id']}"),
                            ("DELETE", f"{api}/{created['webhook_id']}"),
                            ("POST", f"{api}/{created['webhook_id']}/test")):
            r = httpx.request(method, url, headers={"Authorization": f"Bearer {user.token}"})
            assert_error(r, 403, "PERMISSION_DENIED")
        still = httpx.get(f"{api}/{created['webhook_id']}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert still.status_code == 200

