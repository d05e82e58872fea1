"""Probes: /health, /version, server-info, unknown routes."""

import httpx


class TestProbes:
    def test_health_is_ok(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/health")
        assert r.status_code == 200 and r.text == "OK"

    def test_server_info_keeps_client_on_plain_transfers(self, server_url: str) -> None:
        info = httpx.get(f"{server_url}/api/3.0/mlflow/server-info").json()
        assert info["multipart_uploads_enabled"] is False
        assert info["artifact_serving_enabled"] is True

    def test_unknown_route_is_json_404(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/no-such-thing")
        assert r.status_code == 404
        assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
