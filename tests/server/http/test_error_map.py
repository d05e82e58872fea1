"""One error map: every error class renders its MLflow status and code through one renderer, and every error
the server answers (routing's 404/405, authentication's 401, not-found resources) arrives in that envelope."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from mlflow.exceptions import ERROR_CODE_TO_HTTP_STATUS as MLFLOW_TABLE
from mlflow.protos.model_registry_pb2 import CreateRegisteredModel
from mlflow.utils.rest_utils import MlflowHostCreds, call_endpoints

import regista.errors as errors_module
from regista.errors import (
    ERROR_CODE_TO_HTTP_STATUS,
    AlreadyExists,
    BadRequest,
    DeadlineExceeded,
    EndpointNotFound,
    InternalError,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    NotImplementedFeature,
    PermissionDenied,
    RegistaError,
    RequestLimitExceeded,
    RequestTooLarge,
    ResourceConflict,
    TemporarilyUnavailable,
    Unauthenticated,
    UrlTooLong,
)
from regista.server.http.error_handlers import error_response
from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import API, assert_error

SRC = Path(errors_module.__file__).parent

# What each class answers: the status clients see and the error_code they branch on.
EXPECTED: dict[type[RegistaError], tuple[int, str]] = {
    InternalError: (500, "INTERNAL_ERROR"),
    InvalidParameter: (400, "INVALID_PARAMETER_VALUE"),
    BadRequest: (400, "BAD_REQUEST"),
    RequestTooLarge: (413, "INVALID_PARAMETER_VALUE"),
    UrlTooLong: (414, "INVALID_PARAMETER_VALUE"),
    AlreadyExists: (400, "RESOURCE_ALREADY_EXISTS"),
    NotFound: (404, "RESOURCE_DOES_NOT_EXIST"),
    EndpointNotFound: (404, "ENDPOINT_NOT_FOUND"),
    MethodNotAllowed: (405, "ENDPOINT_NOT_FOUND"),
    PermissionDenied: (403, "PERMISSION_DENIED"),
    Unauthenticated: (401, "UNAUTHENTICATED"),
    NotImplementedFeature: (501, "NOT_IMPLEMENTED"),
    TemporarilyUnavailable: (503, "TEMPORARILY_UNAVAILABLE"),
    ResourceConflict: (409, "RESOURCE_CONFLICT"),
    RequestLimitExceeded: (429, "REQUEST_LIMIT_EXCEEDED"),
    DeadlineExceeded: (504, "DEADLINE_EXCEEDED"),
}


def error_classes() -> list[type[RegistaError]]:
    found, pending = [], list(RegistaError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


def instance(cls: type[RegistaError]) -> RegistaError:
    return MethodNotAllowed(["POST"]) if cls is MethodNotAllowed else cls("the message")


def assert_envelope(r: httpx.Response, status: int, code: str, message: str | None = None) -> None:
    """Exactly MLflow's envelope, as JSON, with nothing added."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"error_code", "message"} and body["error_code"] == code, body
    if message is not None:
        assert body["message"] == message


class TestStatusTable:
    def test_is_mlflow_s_own_table(self) -> None:
        assert ERROR_CODE_TO_HTTP_STATUS == MLFLOW_TABLE


class TestEveryErrorClass:
    def test_each_has_an_expected_answer(self) -> None:
        assert set(error_classes()) == set(EXPECTED)

    @pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
    def test_renders_its_status_and_code_in_the_envelope(self, cls: type[RegistaError]) -> None:
        err = instance(cls)
        response = error_response(err)
        status, code = EXPECTED[cls]
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert orjson.loads(response.body) == {"error_code": code, "message": err.message}

    def test_a_405_names_the_allowed_methods(self) -> None:
        assert error_response(MethodNotAllowed(["POST", "GET"])).headers["allow"] == "GET, POST"

    @pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
    def test_is_raised_somewhere(self, cls: type[RegistaError]) -> None:
        uses = [p for p in SRC.rglob("*.py")
                if p.name != "errors.py" and re.search(rf"\b{cls.__name__}\(", p.read_text())]
        assert uses, f"{cls.__name__} is never raised: use it where it belongs or remove it"


class TestRoutingErrors:
    def test_unknown_path_is_404_endpoint_not_found(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}{API}/runs/no-such-operation", json={})
        assert_envelope(r, 404, "ENDPOINT_NOT_FOUND", "No API endpoint at this path.")

    def test_wrong_method_on_a_fixed_path_is_405(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}{API}/runs/create")
        assert_envelope(r, 405, "ENDPOINT_NOT_FOUND", "Method not allowed for this endpoint.")
        assert r.headers["allow"] == "POST"

    def test_wrong_method_on_a_path_with_parameters_is_405(self, server_url: str) -> None:
        r = httpx.put(f"{server_url}{API}/logged-models/m-{'0' * 32}", json={})
        assert_envelope(r, 405, "ENDPOINT_NOT_FOUND", "Method not allowed for this endpoint.")
        assert "GET" in r.headers["allow"]

    def test_the_mlflow_client_moves_on_from_a_wrong_method(self, server_url: str, unique: str) -> None:
        # rest_utils.call_endpoints tries each (path, method) in turn while the answer is ENDPOINT_NOT_FOUND
        # (get-latest-versions: POST, then GET); the 405 must let it move on.
        path = f"{API}/registered-models/create"
        body = json.dumps({"name": f"fallback-{unique}"})
        response = call_endpoints(MlflowHostCreds(server_url), [(path, "PUT"), (path, "POST")], body,
                                  CreateRegisteredModel.Response())
        assert response.registered_model.name == f"fallback-{unique}"


class TestAuthenticationErrors:
    def test_401_is_the_envelope(self, auth_server) -> None:
        r = httpx.get(f"{auth_server.url}{API}/experiments/get", params={"experiment_id": "0"})
        assert_envelope(r, 401, "UNAUTHENTICATED")

    def test_an_unknown_path_asks_for_credentials_first(self, auth_server) -> None:
        assert_envelope(httpx.get(f"{auth_server.url}{API}/nowhere"), 401, "UNAUTHENTICATED")

    def test_routing_errors_once_authenticated(self, auth_server) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert_envelope(httpx.get(f"{auth_server.url}{API}/nowhere", headers=headers), 404, "ENDPOINT_NOT_FOUND")
        r = httpx.get(f"{auth_server.url}{API}/runs/create", headers=headers)
        assert_envelope(r, 405, "ENDPOINT_NOT_FOUND")


class TestNotFoundWording:
    """The messages the official MLflow 3.17 server answers, word for word."""

    def test_experiment_by_id(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}{API}/experiments/get", params={"experiment_id": "987654321"})
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=987654321 exists")

    def test_experiment_by_name(self, server_url: str, unique: str) -> None:
        r = httpx.get(f"{server_url}{API}/experiments/get-by-name", params={"experiment_name": f"no-{unique}"})
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", f"Could not find experiment with name 'no-{unique}'")

    def test_run(self, server_url: str) -> None:
        run_id = uuid.uuid4().hex
        r = httpx.get(f"{server_url}{API}/runs/get", params={"run_id": run_id})
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", f"Run with id={run_id} not found")

    def test_run_tag(self, server_url: str) -> None:
        run = httpx.post(f"{server_url}{API}/runs/create", json={"experiment_id": "0"}).json()["run"]
        run_id = run["info"]["run_id"]
        r = httpx.post(f"{server_url}{API}/runs/delete-tag", json={"run_id": run_id, "key": "k"})
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", f"No tag with name: k in run with id {run_id}")

    def test_registered_model(self, server_url: str, unique: str) -> None:
        r = httpx.get(f"{server_url}{API}/registered-models/get", params={"name": f"no-{unique}"})
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", f"Registered Model with name=no-{unique} not found")

    def test_model_version(self, server_url: str, unique: str) -> None:
        name = f"mv-{unique}"
        httpx.post(f"{server_url}{API}/registered-models/create", json={"name": name}).raise_for_status()
        r = httpx.get(f"{server_url}{API}/model-versions/get", params={"name": name, "version": "3"})
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", f"Model Version (name={name}, version=3) not found")

    def test_logged_model(self, server_url: str) -> None:
        model_id = f"m-{uuid.uuid4().hex}"
        r = httpx.get(f"{server_url}{API}/logged-models/{model_id}")
        assert_envelope(r, 404, "RESOURCE_DOES_NOT_EXIST", f"Logged model with ID '{model_id}' not found.")

    def test_unknown_alias_is_a_400(self, server_url: str, unique: str) -> None:
        name = f"alias-{unique}"
        httpx.post(f"{server_url}{API}/registered-models/create", json={"name": name}).raise_for_status()
        r = httpx.get(f"{server_url}{API}/registered-models/alias", params={"name": name, "alias": "x"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert r.json()["message"] == "Registered model alias x not found."
