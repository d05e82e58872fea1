"""Authentication on a `--auth` server: tokens over Bearer and Basic, 401 for everything else."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error


class TestOpenPaths:
    def test_health_and_version_need_no_token(self, auth_server) -> None:
        assert httpx.get(f"{auth_server.url}/health").status_code == 200
        assert httpx.get(f"{auth_server.url}/version").status_code == 200


class TestRejectedCredentials:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer dapi-not-a-token"},
            {"Authorization": "Bearer"},
            {"Authorization": "Token " + ADMIN_TOKEN},
            {"Authorization": "Basic !!!"},
            {"Authorization": "Basic " + base64.b64encode(b"someone-else:" + ADMIN_TOKEN.encode()).decode()},
        ],
        ids=["none", "unknown", "empty-bearer", "other-scheme", "malformed-basic", "basic-wrong-user"],
    )
    def test_gets_401_in_the_mlflow_envelope(self, auth_server, headers) -> None:
        response = httpx.get(f"{auth_server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                             headers=headers)
        assert_error(response, 401, "UNAUTHENTICATED")

    def test_a_401_write_changes_nothing(self, auth_server, unique) -> None:
        name = f"unauth-{unique}"
        response = httpx.post(f"{auth_server.url}/api/2.0/mlflow/registered-models/create", json={"name": name})
        assert_error(response, 401, "UNAUTHENTICATED")
        got = httpx.get(f"{auth_server.url}/api/2.0/mlflow/registered-models/get", params={"name": name},
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert_error(got, 404, "RESOURCE_DOES_NOT_EXIST")


class TestAcceptedCredentials:
    def test_bearer_token(self, auth_server) -> None:
        response = httpx.get(f"{auth_server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 200

    def test_basic_auth_with_the_token_as_password(self, auth_server) -> None:
        response = httpx.get(f"{auth_server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                             auth=("admin", ADMIN_TOKEN))
        assert response.status_code == 200

    def test_mlflow_client_with_tracking_token(self, as_caller, unique) -> None:
        client = as_caller(ADMIN_TOKEN)
        client.create_registered_model(f"tok-{unique}")
        assert client.get_registered_model(f"tok-{unique}").name == f"tok-{unique}"

    def test_mlflow_client_with_username_and_password(self, auth_server, as_caller, monkeypatch, unique) -> None:
        client = as_caller(None)
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_TOKEN)
        exp = client.create_experiment(f"basic-{unique}")
        assert client.get_experiment(exp).name == f"basic-{unique}"

    def test_service_principal_token(self, auth_server, identities) -> None:
        sp = identities.service_principal()
        response = httpx.get(f"{auth_server.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                             headers={"Authorization": f"Bearer {sp.token}"})
        assert response.status_code == 200

    def test_sdk_workspace_client_authenticates(self, auth_server) -> None:
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        # Any authenticated SDK call proves the SDK's probing and PAT header work against the server.
        response = w.api_client.do("GET", "/api/2.0/mlflow/experiments/get", query={"experiment_id": "0"})
        assert response["experiment"]["name"] == "Default"


class TestAdminTokenFromTheEnvironment:
    def test_a_new_value_replaces_the_previous_one(self, tmp_path) -> None:
        from tests.fixtures.live_server import start_server

        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
        first, second = "dapi" + "1" * 32, "dapi" + "2" * 32
        server = start_server("sqlite", url, tmp_path, "--auth", env={"REGISTA_ADMIN_TOKEN": first})
        try:
            assert _get_default_experiment(server.url, first).status_code == 200
        finally:
            server.stop()
        server = start_server("sqlite", url, tmp_path, "--auth", env={"REGISTA_ADMIN_TOKEN": second})
        try:
            assert _get_default_experiment(server.url, second).status_code == 200
            assert_error(_get_default_experiment(server.url, first), 401, "UNAUTHENTICATED")
        finally:
            server.stop()


def _get_default_experiment(url: str, token: str) -> httpx.Response:
    return httpx.get(f"{url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                     headers={"Authorization": f"Bearer {token}"})
