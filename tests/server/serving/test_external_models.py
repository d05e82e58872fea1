"""External-model endpoints against a local fake OpenAI-compatible provider: the key is write-only,
queries pass through with CAN_QUERY, rate limits per endpoint and per user (429 with Retry-After), and each
call's user, tokens and latency are in the usage log (REST and CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta

import httpx
import pytest
from databricks.sdk.service.serving import (
    ChatMessage,
    ChatMessageRole,
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    ServedEntityInput,
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
)
from sqlalchemy import text

from tests.fixtures.identities import ADMIN_TOKEN
from tests.server.serving.conftest import WAIT_S
from tests.server.serving.fake_provider import USAGE, FakeProvider

KEY = "sk-test-" + "k" * 24


@pytest.fixture(scope="module")
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


def _create(ws, provider, name: str | None = None):
    name = name or f"ext-{uuid.uuid4().hex[:10]}"
    external = ExternalModel(provider=ExternalModelProvider.OPENAI, name="gpt-fake", task="llm/v1/chat",
                             openai_config=OpenAiConfig(openai_api_base=f"{provider.url}/v1",
                                                        openai_api_key_plaintext=KEY))
    config = EndpointCoreConfigInput(name=name, served_entities=[ServedEntityInput(name="chat", external_model=external)])
    return ws.serving_endpoints.create_and_wait(name, config=config, timeout=timedelta(seconds=WAIT_S))


def _chat(url: str, endpoint: str, token: str, text: str = "hi") -> httpx.Response:
    return httpx.post(f"{url}/serving-endpoints/{endpoint}/invocations", headers={"Authorization": f"Bearer {token}"},
                      json={"messages": [{"role": "user", "content": text}], "max_tokens": 10}, timeout=30)


class TestExternalModelEndpoints:
    def test_the_key_is_write_only_and_encrypted_at_rest(self, serving_server, serving_identities, admin_ws,
                                                         provider):
        ep = _create(admin_ws, provider)
        assert ep.state.ready.value == "READY"
        r = httpx.get(f"{serving_server.url}/api/2.0/serving-endpoints/{ep.name}",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert KEY not in r.text
        with serving_identities.engine.connect() as conn:
            stored = conn.execute(text("SELECT secrets FROM serving_endpoints WHERE name = :n"), {"n": ep.name}).scalar()
        assert stored.startswith("fernet:") and KEY not in stored
        shown = r.json()["config"]["served_entities"][0]["external_model"]
        assert shown["openai_config"]["openai_api_base"] == f"{provider.url}/v1"
        assert shown["name"] == "gpt-fake"

    def test_a_chat_query_passes_through_with_the_key(self, admin_ws, provider):
        ep = _create(admin_ws, provider)
        res = admin_ws.serving_endpoints.query(
            ep.name, messages=[ChatMessage(role=ChatMessageRole.USER, content="hello there")]
        )
        assert res.choices[0].message.content == "echo: hello there"
        assert res.usage.total_tokens == USAGE["total_tokens"]
        assert res.served_model_name == "chat"
        seen = provider.requests[-1]
        assert seen["path"] == "/v1/chat/completions"
        assert seen["headers"]["Authorization"] == f"Bearer {KEY}"
        assert seen["body"]["model"] == "gpt-fake"

    def test_a_custom_provider_with_a_bearer_token(self, serving_server, admin_ws, provider, unique):
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={"name": f"custom-{unique}", "config": {"served_entities": [{"name": "local", "external_model": {
                           "provider": "custom", "name": "open-model", "task": "llm/v1/completions",
                           "custom_provider_config": {"custom_provider_url": f"{provider.url}/v1",
                                                      "bearer_token_auth": {"token_plaintext": "local-secret"}}}}]}})
        assert r.status_code == 200, r.text
        assert "local-secret" not in r.text
        admin_ws.serving_endpoints.wait_get_serving_endpoint_not_updating(f"custom-{unique}")
        res = httpx.post(f"{serving_server.url}/serving-endpoints/custom-{unique}/invocations",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, json={"prompt": "ping"})
        assert res.status_code == 200 and res.json()["choices"][0]["text"] == "echo: ping"
        assert provider.requests[-1]["headers"]["Authorization"] == "Bearer local-secret"

    def test_an_unknown_provider_is_a_400(self, serving_server, unique):
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={"name": f"bad-{unique}", "config": {"served_entities": [{"external_model": {
                           "provider": "nope", "name": "m", "task": "llm/v1/chat"}}]}})
        assert r.status_code == 400 and "provider" in r.json()["message"]

    def test_querying_needs_can_query(self, serving_server, serving_identities, admin_ws, provider):
        ep = _create(admin_ws, provider)
        user = serving_identities.user()
        assert _chat(serving_server.url, ep.name, user.token).status_code == 403
        admin_ws.serving_endpoints.update_permissions(ep.id, access_control_list=[ServingEndpointAccessControlRequest(
            user_name=user.name, permission_level=ServingEndpointPermissionLevel.CAN_QUERY)])
        assert _chat(serving_server.url, ep.name, user.token).status_code == 200


class TestRateLimits:
    def test_per_user_limit_is_a_429_with_retry_after_for_that_user_only(
        self, serving_server, serving_identities, admin_ws, provider
    ):
        from databricks.sdk.service.serving import RateLimit, RateLimitKey, RateLimitRenewalPeriod

        ep = _create(admin_ws, provider)
        admin_ws.serving_endpoints.put(ep.name, rate_limits=[RateLimit(
            calls=2, key=RateLimitKey.USER, renewal_period=RateLimitRenewalPeriod.MINUTE)])
        a, b = serving_identities.user(), serving_identities.user()
        for user in (a, b):
            admin_ws.serving_endpoints.update_permissions(ep.id, access_control_list=[
                ServingEndpointAccessControlRequest(user_name=user.name,
                                                    permission_level=ServingEndpointPermissionLevel.CAN_QUERY)])
        assert [_chat(serving_server.url, ep.name, a.token).status_code for _ in range(2)] == [200, 200]
        third = _chat(serving_server.url, ep.name, a.token)
        assert third.status_code == 429
        assert third.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert 1 <= int(third.headers["Retry-After"]) <= 60
        assert _chat(serving_server.url, ep.name, b.token).status_code == 200

    def test_per_endpoint_limit_counts_every_caller(self, serving_server, admin_ws, provider):
        ep = _create(admin_ws, provider)
        r = httpx.put(f"{serving_server.url}/api/2.0/serving-endpoints/{ep.name}/rate-limits",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                      json={"rate_limits": [{"calls": 3, "key": "endpoint", "renewal_period": "minute"}]})
        assert r.status_code == 200 and r.json()["rate_limits"][0]["calls"] == 3
        # The limits apply from the next call on.
        statuses = [_chat(serving_server.url, ep.name, ADMIN_TOKEN).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]

    def test_bad_rate_limits_are_a_400(self, serving_server, admin_ws, provider):
        ep = _create(admin_ws, provider)
        r = httpx.put(f"{serving_server.url}/api/2.0/serving-endpoints/{ep.name}/rate-limits",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                      json={"rate_limits": [{"calls": 0, "key": "endpoint", "renewal_period": "minute"}]})
        assert r.status_code == 400


class TestUsageLog:
    def test_each_call_is_logged_with_user_tokens_and_latency(
        self, serving_server, serving_identities, admin_ws, provider
    ):
        ep = _create(admin_ws, provider)
        user = serving_identities.user()
        admin_ws.serving_endpoints.update_permissions(ep.id, access_control_list=[ServingEndpointAccessControlRequest(
            user_name=user.name, permission_level=ServingEndpointPermissionLevel.CAN_QUERY)])
        for token in (user.token, user.token, ADMIN_TOKEN):
            assert _chat(serving_server.url, ep.name, token).status_code == 200
        r = httpx.get(f"{serving_server.url}/api/2.0/regista/serving-endpoints/{ep.name}/usage",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 200
        report = r.json()
        assert len(report["calls"]) == 3
        assert all(c["total_tokens"] == USAGE["total_tokens"] and c["latency_ms"] >= 0 for c in report["calls"])
        totals = {u["user"]: u for u in report["by_user"]}
        assert totals[user.name]["calls"] == 2 and totals[user.name]["total_tokens"] == 2 * USAGE["total_tokens"]
        assert totals["admin"]["calls"] == 1
        # A caller who may only query does not see the usage log.
        denied = httpx.get(f"{serving_server.url}/api/2.0/regista/serving-endpoints/{ep.name}/usage",
                           headers={"Authorization": f"Bearer {user.token}"})
        assert denied.status_code == 403
        # The same report on the command line.
        out = subprocess.run(
            [sys.executable, "-m", "regista.cli.main", "serving", "usage", ep.name, "--json",
             "--backend-store-uri", serving_server.database_url, "--data-dir", str(serving_server.data_dir)],
            capture_output=True, text=True, check=True,
        ).stdout
        lines = {row["user"]: row for row in map(json.loads, out.splitlines())}
        assert lines[user.name]["prompt_tokens"] == 2 * USAGE["prompt_tokens"]
