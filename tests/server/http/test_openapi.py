"""GET /openapi.json: a valid OpenAPI 3.1 document listing every operation once, with its request (query
parameters, JSON body, path parameters), a unique operation id and the error envelope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.fixtures.live_server import LiveServer

# Operations that take no input at all: probes, the caller's own identity and token list.
WITHOUT_INPUT = {
    ("get", "/health"),
    ("get", "/version"),
    ("get", "/api/3.0/mlflow/server-info"),
    ("get", "/api/2.0/preview/scim/v2/Me"),
    ("get", "/api/2.0/token/list"),
    ("get", "/api/2.0/mlflow/unity-catalog/registered-models:is-databricks-sdk-models-artifact-repository-enabled"),
    ("get", "/api/2.0/mlflow/email-notifications/registry/get-user-level-subscription-status"),
    ("get", "/api/2.0/serving-endpoints"),
}


@pytest.fixture
def document(server_url: str) -> dict[str, Any]:
    r = httpx.get(f"{server_url}/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in document["paths"].items() for method, op in item.items()]


def _component(document: dict[str, Any], ref: str) -> dict[str, Any]:
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


class TestOpenApiDocument:
    def test_the_document_is_valid_openapi(self, document: dict[str, Any]) -> None:
        validate(document)
        assert document["openapi"].startswith("3.1")

    def test_the_mlflow_and_databricks_apis_are_listed(self, document: dict[str, Any]) -> None:
        paths = document["paths"]
        assert "post" in paths["/api/2.0/mlflow/runs/create"]
        assert "post" in paths["/api/2.0/mlflow/registered-models/create"]
        assert "put" in paths["/api/2.0/mlflow-artifacts/artifacts/{path}"]
        assert "post" in paths["/api/2.0/preview/scim/v2/Users"]
        assert "post" in paths["/api/2.0/mlflow/transition-requests/create"]
        assert len(_operations(document)) > 100

    def test_every_operation_declares_its_request(self, document: dict[str, Any]) -> None:
        missing = [
            (method, path) for method, path, op in _operations(document)
            if (method, path) not in WITHOUT_INPUT and not op.get("requestBody") and not op.get("parameters")
        ]
        assert missing == []

    def test_operation_ids_are_the_handler_names_and_unique(self, document: dict[str, Any]) -> None:
        ids = [op["operationId"] for _m, _p, op in _operations(document)]
        assert len(ids) == len(set(ids))
        paths = document["paths"]
        assert paths["/api/2.0/mlflow/experiments/create"]["post"]["operationId"] == "create_experiment"
        # Served by POST (what the mlflow client sends) and GET: the POST keeps the plain name.
        assert paths["/api/2.0/mlflow/runs/search"]["post"]["operationId"] == "search_runs"
        assert paths["/api/2.0/mlflow/runs/search"]["get"]["operationId"] == "search_runs_get"

    def test_post_operations_take_the_message_as_a_json_body(self, document: dict[str, Any]) -> None:
        body = document["paths"]["/api/2.0/mlflow/runs/log-batch"]["post"]["requestBody"]
        schema = _component(document, body["content"]["application/json"]["schema"]["$ref"])
        assert {"run_id", "metrics", "params", "tags"} <= set(schema["properties"])
        metric = _component(document, schema["properties"]["metrics"]["items"]["$ref"])
        assert {"key", "value", "timestamp", "step"} <= set(metric["properties"])

    def test_get_operations_take_the_message_as_query_parameters(self, document: dict[str, Any]) -> None:
        op = document["paths"]["/api/2.0/mlflow/runs/search"]["get"]
        params = {p["name"]: p for p in op["parameters"]}
        assert params["experiment_ids"]["in"] == "query"
        # List fields repeat the key (?experiment_ids=1&experiment_ids=2), as the mlflow client sends them.
        assert params["experiment_ids"]["schema"]["type"] == "array" and params["experiment_ids"]["explode"]
        # Integers carry the range of the column they are checked against (schemas/numbers.py).
        assert params["max_results"]["schema"] == {
            "type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1,
        }
        assert "requestBody" not in op

    def test_required_fields_are_required(self, document: dict[str, Any]) -> None:
        op = document["paths"]["/api/2.0/mlflow/comments/delete"]["delete"]
        assert [(p["name"], p["in"], p["required"]) for p in op["parameters"]] == [("id", "query", True)]

    def test_path_parameters_are_declared(self, document: dict[str, Any]) -> None:
        op = document["paths"]["/api/2.0/mlflow/logged-models/{model_id}/tags/{key}"]["delete"]
        declared = {(p["name"], p["in"], p["required"]) for p in op["parameters"]}
        assert declared == {("model_id", "path", True), ("key", "path", True)}

    def test_artifact_uploads_and_downloads_are_binary(self, document: dict[str, Any]) -> None:
        item = document["paths"]["/api/2.0/mlflow-artifacts/artifacts/{path}"]
        assert "application/octet-stream" in item["put"]["requestBody"]["content"]
        assert list(item["get"]["responses"]["200"]["content"]) == ["application/octet-stream"]

    def test_every_operation_documents_the_error_envelope(self, document: dict[str, Any]) -> None:
        for _method, _path, op in _operations(document):
            error = op["responses"]["default"]["content"]["application/json"]["schema"]
            assert _component(document, error["$ref"])["required"] == ["error_code", "message"]
            assert "422" not in op["responses"]

    def test_aliases_are_listed_once_under_the_canonical_prefix(self, document: dict[str, Any]) -> None:
        paths = document["paths"]
        assert not [p for p in paths if p.startswith("/api/2.0/preview/mlflow/")]
        # The web UI's own routes exist only under /ajax-api (as on the official server); an /ajax-api path
        # is listed only when no /api/2.0 path serves the same operation.
        ajax = [p for p in paths if p.startswith("/ajax-api/")]
        assert not [p for p in ajax if p.replace("/ajax-api/", "/api/", 1) in paths]
        assert "/ajax-api/2.0/mlflow/upload-artifact" in ajax


class TestOpenApiWithAuthentication:
    def test_the_document_is_served_without_a_token(self, auth_server: LiveServer) -> None:
        r = httpx.get(f"{auth_server.url}/openapi.json")
        assert r.status_code == 200
        assert r.json()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"

    def test_the_api_itself_still_needs_a_token(self, auth_server: LiveServer) -> None:
        r = httpx.post(f"{auth_server.url}/api/2.0/mlflow/experiments/search", json={})
        assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
