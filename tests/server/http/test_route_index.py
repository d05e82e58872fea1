"""The exact-path route index answers like FastAPI's own routing: handler, 405 and 404."""

import httpx


class TestExactPathIndex:
    def test_fixed_path_reaches_its_handler_under_both_prefixes(self, server_url: str, unique: str) -> None:
        for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
            name = f"idx-{prefix.split('/')[1]}-{unique}"
            r = httpx.post(f"{server_url}{prefix}/registered-models/create", json={"name": name})
            assert r.status_code == 200 and r.json()["registered_model"]["name"] == name

    def test_wrong_method_on_a_fixed_path_is_405(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/registered-models/create")
        assert r.status_code == 405

    def test_path_with_parameters_still_routes(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/logged-models/m-{'0' * 32}")
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    def test_handler_error_on_a_fixed_path_keeps_mlflows_envelope(self, server_url: str, unique: str) -> None:
        # Fixed-path handlers are called directly by the index; their errors still reach the error handlers.
        r = httpx.get(f"{server_url}/api/2.0/mlflow/registered-models/get", params={"name": f"missing-{unique}"})
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    def test_malformed_body_on_a_fixed_path_is_a_400_envelope(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}/api/2.0/mlflow/registered-models/create", content=b"{not json",
                       headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert r.json()["message"]
