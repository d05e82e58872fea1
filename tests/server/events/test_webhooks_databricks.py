"""Databricks registry webhooks with the unmodified databricks-sdk: all twelve events, HTTP and job targets,
X-Databricks-Signature and Authorization, statuses, write-only secrets, and who may manage which webhook."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.ml import HttpUrlSpec, JobSpec, RegistryWebhookEvent, RegistryWebhookStatus

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error
from tests.server.events.receivers import databricks_signature_ok

SECRET = "s3cr3t-databricks"
E = RegistryWebhookEvent


@pytest.fixture
def sdk(events_server):
    return workspace_client(events_server.url, "unused")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def raw(events_server, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{events_server.url}/api/2.0/mlflow/registry-webhooks/{path}", **kwargs)


class TestCreateAndList:
    def test_secrets_are_write_only(self, sdk, events_server, receiver):
        hook = sdk.model_registry.create_webhook(
            events=[E.MODEL_VERSION_CREATED], description="d",
            http_url_spec=HttpUrlSpec(url=f"{receiver.url}/w", secret=SECRET, authorization="Bearer tok-123"),
        ).webhook
        assert hook.status == RegistryWebhookStatus.ACTIVE and hook.model_name is None
        assert hook.http_url_spec.url == f"{receiver.url}/w" and hook.http_url_spec.enable_ssl_verification
        job = sdk.model_registry.create_webhook(
            events=[E.MODEL_VERSION_CREATED],
            job_spec=JobSpec(job_id="42", access_token="dapi-job-token", workspace_url=receiver.url),
        ).webhook
        assert job.job_spec.job_id == "42" and job.job_spec.workspace_url == receiver.url
        listed = raw(events_server, "GET", "list").text
        for secret in (SECRET, "tok-123", "dapi-job-token"):
            assert secret not in listed

    def test_list_filters_by_event_and_pages(self, sdk, receiver):
        marker = unique("only")
        for _ in range(3):
            sdk.model_registry.create_webhook(events=[E.TRANSITION_REQUEST_TO_ARCHIVED_CREATED],
                                              description=marker, http_url_spec=HttpUrlSpec(url=f"{receiver.url}/x"))
        found = [w for w in sdk.model_registry.list_webhooks(events=[E.TRANSITION_REQUEST_TO_ARCHIVED_CREATED],
                                                             max_results=2)
                 if w.description == marker]
        assert len(found) == 3
        assert all(E.TRANSITION_REQUEST_TO_ARCHIVED_CREATED in w.events for w in found)

    @pytest.mark.parametrize("body", [
        {"events": ["MODEL_VERSION_CREATED"]},
        {"events": ["MODEL_VERSION_CREATED"], "http_url_spec": {"url": "https://a.example/x"},
         "job_spec": {"job_id": "1", "access_token": "t"}},
        {"events": [], "http_url_spec": {"url": "https://93.184.216.34/x"}},
        {"events": ["NOT_AN_EVENT"], "http_url_spec": {"url": "https://93.184.216.34/x"}},
        {"events": ["MODEL_VERSION_CREATED"], "status": "SOMETIMES", "http_url_spec": {"url": "https://93.184.216.34/x"}},
    ])
    def test_invalid_requests_are_refused(self, events_server, body):
        before = raw(events_server, "GET", "list").json().get("webhooks", [])
        assert_error(raw(events_server, "POST", "create", json=body), 400, "INVALID_PARAMETER_VALUE")
        assert raw(events_server, "GET", "list").json().get("webhooks", []) == before

    def test_registered_model_created_is_registry_wide_only(self, sdk, events_server, receiver):
        name = unique("m")
        sdk.model_registry.create_model(name)
        with pytest.raises(DatabricksError) as err:
            sdk.model_registry.create_webhook(events=[E.REGISTERED_MODEL_CREATED], model_name=name,
                                              http_url_spec=HttpUrlSpec(url=f"{receiver.url}/x"))
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"


class TestUpdateDeleteTest:
    def test_update_then_delete(self, sdk, receiver):
        hook = sdk.model_registry.create_webhook(events=[E.COMMENT_CREATED],
                                                 http_url_spec=HttpUrlSpec(url=f"{receiver.url}/u")).webhook
        updated = sdk.model_registry.update_webhook(
            id=hook.id, events=[E.MODEL_VERSION_TAG_SET], status=RegistryWebhookStatus.TEST_MODE, description="x",
        ).webhook
        assert updated.events == [E.MODEL_VERSION_TAG_SET] and updated.status == RegistryWebhookStatus.TEST_MODE
        assert updated.http_url_spec.url == f"{receiver.url}/u"
        sdk.model_registry.delete_webhook(id=hook.id)
        assert hook.id not in {w.id for w in sdk.model_registry.list_webhooks()}
        with pytest.raises(DatabricksError) as err:
            sdk.model_registry.delete_webhook(id=hook.id)
        assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    def test_test_fires_a_test_mode_webhook_and_returns_the_answer(self, sdk, receiver, events_server):
        path = f"/t-{uuid.uuid4().hex[:8]}"
        hook = sdk.model_registry.create_webhook(
            events=[E.MODEL_VERSION_TRANSITIONED_STAGE], status=RegistryWebhookStatus.TEST_MODE,
            http_url_spec=HttpUrlSpec(url=receiver.url + path, secret=SECRET)).webhook
        answer = sdk.model_registry.test_registry_webhook(id=hook.id, event=E.COMMENT_CREATED)
        assert (answer.status_code, answer.body) == (200, "received")
        got = receiver.wait_for(path, 1)[0]
        assert databricks_signature_ok(SECRET, got)
        body = got.json()
        assert body["event"] == "COMMENT_CREATED" and body["webhook_id"] == hook.id and body["text"]
        flat = raw(events_server, "POST", "test", json={"id": hook.id}).json()
        assert flat["status"] == flat["status_code"] == 200


def _every_event(sdk, name: str) -> None:
    """Cause each of the twelve events once on a new model (as the admin)."""
    registry = sdk.model_registry
    registry.create_model(name)
    registry.create_model_version(name, "s3://bucket/model")
    registry.set_model_version_tag(name, "1", "k", "v")
    registry.create_comment(name, "1", "looks good")
    for stage in ("Staging", "Production", "Archived"):
        registry.create_transition_request(name, "1", stage, comment=f"to {stage}")
    for stage in ("Staging", "Production", "Archived"):
        registry.transition_stage(name, "1", stage, archive_existing_versions=False)


class TestDelivery:
    def test_all_twelve_events_signed_with_authorization(self, sdk, receiver):
        path = f"/all-{uuid.uuid4().hex[:8]}"
        hook = sdk.model_registry.create_webhook(
            events=list(E), http_url_spec=HttpUrlSpec(url=receiver.url + path, secret=SECRET,
                                                      authorization="Bearer tok-123")).webhook
        name = unique("all")
        _every_event(sdk, name)
        # 1 model + 1 version + 1 tag + 1 comment + 3 requests x2 + 3 transitions x2.
        got = [r for r in receiver.wait_for(path, 16) if r.json()["model_name"] == name]
        assert {r.json()["event"] for r in got} == {e.value for e in E}
        assert len(got) == 16
        assert all(databricks_signature_ok(SECRET, r) for r in got)
        assert all(r.headers["Authorization"] == "Bearer tok-123" for r in got)
        by_event = {r.json()["event"]: r.json() for r in got}
        assert all(b["webhook_id"] == hook.id and b["event_timestamp"] > 0 for b in by_event.values())
        moved = by_event["MODEL_VERSION_TRANSITIONED_TO_PRODUCTION"]
        assert (moved["version"], moved["from_stage"], moved["to_stage"]) == ("1", "Staging", "Production")
        assert moved["text"] == f"Registered model '{name}' version 1 transitioned from Staging to Production."
        assert by_event["MODEL_VERSION_TAG_SET"]["tags"] == [{"key": "k", "value": "v"}]
        assert by_event["COMMENT_CREATED"]["comment"] == "looks good"
        assert by_event["TRANSITION_REQUEST_TO_ARCHIVED_CREATED"]["to_stage"] == "Archived"
        assert "version" not in by_event["REGISTERED_MODEL_CREATED"]
        assert "source" not in by_event["MODEL_VERSION_CREATED"]

    def test_a_model_webhook_hears_only_its_model_and_test_mode_hears_nothing(self, sdk, receiver, events_server):
        path = f"/one-{uuid.uuid4().hex[:8]}"
        watched, other = unique("w"), unique("o")
        sdk.model_registry.create_model(watched)
        sdk.model_registry.create_model(other)
        sdk.model_registry.create_webhook(events=[E.MODEL_VERSION_CREATED], model_name=watched,
                                          http_url_spec=HttpUrlSpec(url=receiver.url + path))
        quiet = sdk.model_registry.create_webhook(
            events=[E.MODEL_VERSION_CREATED], status=RegistryWebhookStatus.TEST_MODE,
            http_url_spec=HttpUrlSpec(url=receiver.url + path + "-quiet")).webhook
        sdk.model_registry.create_model_version(other, "s3://bucket/model")
        sdk.model_registry.create_model_version(watched, "s3://bucket/model")
        got = receiver.wait_for(path, 1)
        assert [r.json()["model_name"] for r in got] == [watched]
        # Dispatched in order: the other model's version (earlier) produced no delivery for the model hook,
        # and neither event one for the TEST_MODE hook.
        log = httpx.get(f"{events_server.url}/api/2.0/regista/webhooks/deliveries", params={"webhook_id": quiet.id})
        assert log.json()["deliveries"] == [] and receiver.at(path + "-quiet") == []

    def test_a_model_webhook_and_notification_level_follow_a_rename(self, sdk, receiver, events_server):
        path = f"/renamed-{uuid.uuid4().hex[:8]}"
        old, new = unique("before"), unique("after")
        sdk.model_registry.create_model(old)
        hook = sdk.model_registry.create_webhook(events=[E.MODEL_VERSION_CREATED], model_name=old,
                                                 http_url_spec=HttpUrlSpec(url=receiver.url + path)).webhook
        notify = f"{events_server.url}/api/2.0/mlflow/email-notifications/registry"
        assert httpx.post(f"{notify}/set-subscription-status",
                          json={"model_name": old, "subscription_type": "UNSUBSCRIBED"}).status_code == 200
        sdk.model_registry.rename_model(old, new_name=new)
        # Events after the rename are dispatched after it: the version's delivery goes to the moved webhook.
        sdk.model_registry.create_model_version(new, "s3://bucket/model")
        [got] = receiver.wait_for(path, 1)
        assert got.json()["model_name"] == new
        assert [w.id for w in sdk.model_registry.list_webhooks(model_name=new)] == [hook.id]
        status = httpx.get(f"{notify}/get-subscription-status", params={"model_name": new}).json()
        assert status["subscription_type"] == "UNSUBSCRIBED"

    def test_a_job_webhook_runs_the_job_with_the_payload(self, sdk, receiver):
        workspace = f"{receiver.url}/ws-{uuid.uuid4().hex[:8]}"
        sdk.model_registry.create_webhook(
            events=[E.REGISTERED_MODEL_CREATED],
            job_spec=JobSpec(job_id="1234", access_token="dapi-job-token", workspace_url=workspace))
        name = unique("job")
        sdk.model_registry.create_model(name)
        path = workspace.removeprefix(receiver.url) + "/api/2.1/jobs/run-now"
        runs = [r for r in receiver.wait_for(path, 1)
                if orjson.loads(r.json()["notebook_params"]["event_message"])["model_name"] == name]
        assert len(runs) == 1
        run = runs[0]
        assert run.headers["Authorization"] == "Bearer dapi-job-token"
        assert run.json()["job_id"] == 1234
        assert orjson.loads(run.json()["notebook_params"]["event_message"])["event"] == "REGISTERED_MODEL_CREATED"


class TestPermissions:
    @pytest.fixture
    def admin_sdk(self, events_auth_server):
        return workspace_client(events_auth_server.url, ADMIN_TOKEN)

    def _model_for(self, events_auth_server, events_identities, admin_sdk, level: str | None):
        name = unique("perm")
        admin_sdk.model_registry.create_model(name)
        user = events_identities.user()
        if level is not None:
            rm_id = admin_sdk.model_registry.get_model(name).registered_model_databricks.id
            events_identities.grant("registered-models", rm_id, user, level)
        return name, workspace_client(events_auth_server.url, user.token)

    def test_can_manage_manages_its_models_webhooks(self, events_auth_server, events_identities, admin_sdk, receiver):
        name, user_sdk = self._model_for(events_auth_server, events_identities, admin_sdk, "CAN_MANAGE")
        hook = user_sdk.model_registry.create_webhook(events=[E.COMMENT_CREATED], model_name=name,
                                                      http_url_spec=HttpUrlSpec(url=f"{receiver.url}/p")).webhook
        assert [w.id for w in user_sdk.model_registry.list_webhooks(model_name=name)] == [hook.id]
        user_sdk.model_registry.update_webhook(id=hook.id, description="mine")
        user_sdk.model_registry.delete_webhook(id=hook.id)

    @pytest.mark.parametrize("level", [None, "CAN_READ", "CAN_EDIT", "CAN_MANAGE_PRODUCTION_VERSIONS"])
    def test_below_can_manage_is_denied(self, events_auth_server, events_identities, admin_sdk, receiver, level):
        name, user_sdk = self._model_for(events_auth_server, events_identities, admin_sdk, level)
        hook = admin_sdk.model_registry.create_webhook(events=[E.COMMENT_CREATED], model_name=name,
                                                       http_url_spec=HttpUrlSpec(url=f"{receiver.url}/p")).webhook
        attempts = [
            lambda: user_sdk.model_registry.create_webhook(events=[E.COMMENT_CREATED], model_name=name,
                                                           http_url_spec=HttpUrlSpec(url=f"{receiver.url}/p")),
            lambda: list(user_sdk.model_registry.list_webhooks(model_name=name)),
            lambda: user_sdk.model_registry.update_webhook(id=hook.id, description="x"),
            lambda: user_sdk.model_registry.delete_webhook(id=hook.id),
            lambda: user_sdk.model_registry.test_registry_webhook(id=hook.id),
        ]
        for attempt in attempts:
            with pytest.raises(DatabricksError) as err:
                attempt()
            assert err.value.error_code in ("PERMISSION_DENIED", "RESOURCE_DOES_NOT_EXIST")
        assert [w.description for w in admin_sdk.model_registry.list_webhooks(model_name=name)] == [None]

    def test_registry_wide_webhooks_are_for_admins(self, events_auth_server, events_identities, admin_sdk, receiver):
        _, user_sdk = self._model_for(events_auth_server, events_identities, admin_sdk, "CAN_MANAGE")
        with pytest.raises(DatabricksError) as err:
            user_sdk.model_registry.create_webhook(events=[E.REGISTERED_MODEL_CREATED],
                                                   http_url_spec=HttpUrlSpec(url=f"{receiver.url}/p"))
        assert err.value.error_code == "PERMISSION_DENIED"
        with pytest.raises(DatabricksError) as err:
            list(user_sdk.model_registry.list_webhooks())
        assert err.value.error_code == "PERMISSION_DENIED"
        admin_sdk.model_registry.create_webhook(events=[E.REGISTERED_MODEL_CREATED],
                                                http_url_spec=HttpUrlSpec(url=f"{receiver.url}/p"))
