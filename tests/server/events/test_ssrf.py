"""SSRF: webhook targets on loopback, private, link-local or metadata addresses, and plain http, are refused
when a webhook is created (unless REGISTA_WEBHOOK_ALLOW_PRIVATE), and every connection is checked again
when it is made, so a name that resolves elsewhere later (DNS rebinding) is refused too."""

from __future__ import annotations

import socket

import httpx
import pytest

from regista.server.events.services.outbound import guarded_client
from regista.server.storage.external import outbound_refusal
from tests.fixtures.fresh_loop import run_in_fresh_loop
from tests.fixtures.wire import assert_error

REFUSED = [
    "http://93.184.216.34/hook",            # plain http
    "https://127.0.0.1/hook",
    "https://2130706433/hook",              # 127.0.0.1 in decimal
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",      # IPv4-mapped loopback
    "https://10.1.2.3/hook",
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "https://100.64.0.1/hook",              # shared address space (CGNAT)
    "https://169.254.169.254/latest/meta-data",
    "https://[fd00:ec2::254]/",
    "https://localhost/hook",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://0.0.0.0/hook",
    "ftp://93.184.216.34/hook",
]


def loopback_name() -> str:
    """This machine's host name: a name (not an address literal, not a known metadata name) that resolves
    to a non-public address (loopback or the container's private address)."""
    name = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    assert addresses, f"{name} does not resolve on this machine"
    return name


class TestCreationRefusals:
    @pytest.mark.parametrize("url", REFUSED)
    def test_mlflow_webhook_to_a_forbidden_target_is_refused(self, live_server, url):
        api = f"{live_server.url}/api/2.0/mlflow/webhooks"
        before = httpx.get(api).json().get("webhooks", [])
        body = {"name": "ssrf", "url": url, "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}
        assert_error(httpx.post(api, json=body), 400, "INVALID_PARAMETER_VALUE")
        assert httpx.get(api).json().get("webhooks", []) == before

    @pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://169.254.169.254/", "http://93.184.216.34/"])
    def test_databricks_webhook_to_a_forbidden_target_is_refused(self, live_server, url):
        api = f"{live_server.url}/api/2.0/mlflow/registry-webhooks"
        body = {"events": ["MODEL_VERSION_CREATED"], "http_url_spec": {"url": url}}
        assert_error(httpx.post(f"{api}/create", json=body), 400, "INVALID_PARAMETER_VALUE")
        job = {"events": ["MODEL_VERSION_CREATED"],
               "job_spec": {"job_id": "1", "access_token": "t", "workspace_url": url}}
        assert_error(httpx.post(f"{api}/create", json=job), 400, "INVALID_PARAMETER_VALUE")

    def test_a_host_name_resolving_to_a_private_address_is_refused(self, live_server):
        url = f"https://{loopback_name()}/hook"
        body = {"name": "ssrf", "url": url, "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}
        r = httpx.post(f"{live_server.url}/api/2.0/mlflow/webhooks", json=body)
        assert "non-public address" in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]

    def test_a_public_https_address_is_accepted(self, live_server):
        body = {"name": "public", "url": "https://93.184.216.34/hook",
                "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}
        r = httpx.post(f"{live_server.url}/api/2.0/mlflow/webhooks", json=body)
        assert r.status_code == 200, r.text
        httpx.delete(f"{live_server.url}/api/2.0/mlflow/webhooks/{r.json()['webhook']['webhook_id']}")


class TestRules:
    @pytest.mark.parametrize("url", REFUSED)
    def test_refused_unless_private_targets_are_allowed(self, url):
        assert outbound_refusal(url, allow_private=False) is not None
        assert (outbound_refusal(url, allow_private=True) is None) == url.startswith(("http://", "https://"))


class TestConnectTime:
    """What the dispatcher's client does at connect time, against a real receiver on loopback."""

    def _post(self, url: str, allow_private: bool) -> httpx.Response:
        async def call() -> httpx.Response:
            async with guarded_client(verify=True, allow_private=allow_private, timeout_s=5) as client:
                return await client.post(url, content=b"{}")

        return run_in_fresh_loop(call)

    def test_a_name_resolving_to_loopback_is_refused_when_connecting(self, receiver):
        # The name is resolved when the connection is made (as after a DNS rebinding, whatever it resolved
        # to when the webhook was created) and its address checked before anything is sent.
        url = f"http://localhost:{receiver.port}/rebound"
        with pytest.raises(PermissionError, match="non-public address"):
            self._post(url, allow_private=False)
        assert receiver.at("/rebound") == []

    def test_the_same_call_goes_through_when_private_targets_are_allowed(self, receiver):
        assert self._post(f"http://localhost:{receiver.port}/allowed", allow_private=True).status_code == 200
        assert len(receiver.at("/allowed")) == 1
