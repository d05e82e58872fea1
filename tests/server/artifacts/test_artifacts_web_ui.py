"""The web UI's artifact routes on a live server: upload-artifact, get-artifact, model-versions/get-artifact
and the logged-model artifact listing and file reads (paths, limits and messages as MLflow's server)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.wire import assert_error

UPLOAD = "/ajax-api/2.0/mlflow/upload-artifact"


@pytest.fixture
def run_id(mlflow_client, unique: str) -> str:
    return mlflow_client.create_run(mlflow_client.create_experiment(f"ui-artifacts-{unique}")).info.run_id


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A small model directory: MLmodel at the top and one nested file."""
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "model" / "data").mkdir()
    (tmp_path / "model" / "data" / "weights.bin").write_bytes(b"\x00\x01\x02")
    return tmp_path / "model"


@pytest.fixture
def logged_model_id(mlflow_client, unique: str, model_dir: Path) -> str:
    model = mlflow_client.create_logged_model(mlflow_client.create_experiment(f"ui-models-{unique}"), name="m")
    mlflow_client.log_model_artifacts(model.model_id, str(model_dir))
    return model.model_id


class TestUploadArtifact:
    def test_upload_lands_in_the_run_and_reads_back(self, server_url: str, mlflow_client, run_id: str) -> None:
        r = httpx.post(f"{server_url}{UPLOAD}", params={"run_uuid": run_id, "path": "notes/a.txt"},
                       content=b"hello world")
        assert r.status_code == 200 and r.json() == {}
        assert [f.path for f in mlflow_client.list_artifacts(run_id, "notes")] == ["notes/a.txt"]
        r = httpx.get(f"{server_url}/get-artifact", params={"run_id": run_id, "path": "notes/a.txt"})
        assert r.status_code == 200 and r.content == b"hello world"

    @pytest.mark.parametrize(("params", "body", "message"), [
        ({}, b"x", "Request must specify run_uuid."),
        ({"run_uuid": "RUN"}, b"x", "Request must specify path."),
        ({"run_uuid": "RUN", "path": ""}, b"x", "Request must specify path."),
        ({"run_uuid": "RUN", "path": "../escape.txt"}, b"x", "Invalid path"),
        ({"run_uuid": "RUN", "path": "a.txt"}, b"", "Request must specify data."),
    ])
    def test_bad_requests_are_400_in_mlflow_words(
        self, server_url: str, mlflow_client, run_id: str, params: dict, body: bytes, message: str
    ) -> None:
        params = {k: run_id if v == "RUN" else v for k, v in params.items()}
        err = assert_error(httpx.post(f"{server_url}{UPLOAD}", params=params, content=body),
                           400, "INVALID_PARAMETER_VALUE")
        assert err["message"] == message
        assert mlflow_client.list_artifacts(run_id) == []

    def test_more_than_10_mb_is_refused(self, server_url: str, mlflow_client, run_id: str) -> None:
        r = httpx.post(f"{server_url}{UPLOAD}", params={"run_uuid": run_id, "path": "big.bin"},
                       content=b"x" * (10 * 1024 * 1024 + 1))
        assert assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"] == (
            "Artifact size is too large. Max size is 10MB.")
        assert mlflow_client.list_artifacts(run_id) == []

    def test_unknown_run_is_404(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}{UPLOAD}", params={"run_uuid": "0" * 32, "path": "a.txt"}, content=b"x")
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestGetArtifact:
    def test_reads_a_logged_file_by_run_uuid(self, server_url: str, mlflow_client, run_id: str) -> None:
        mlflow_client.log_text(run_id, "some text", "dir/t.txt")
        r = httpx.get(f"{server_url}/get-artifact", params={"run_uuid": run_id, "path": "dir/t.txt"})
        assert r.status_code == 200 and r.text == "some text"
        assert r.headers["content-disposition"] == 'attachment; filename="t.txt"'

    def test_invalid_path_is_mlflows_exact_error(self, server_url: str, run_id: str) -> None:
        r = httpx.get(f"{server_url}/get-artifact", params={"run_id": run_id, "path": "../path"})
        assert r.status_code == 400
        assert r.json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid path"}

    def test_missing_file_is_404(self, server_url: str, run_id: str) -> None:
        r = httpx.get(f"{server_url}/get-artifact", params={"run_id": run_id, "path": "nothing.txt"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestGetModelVersionArtifact:
    def test_reads_a_file_of_the_registered_model(
        self, server_url: str, mlflow_client, unique: str, logged_model_id: str
    ) -> None:
        name = f"ui-mv-{unique}"
        mlflow_client.create_registered_model(name)
        version = mlflow_client.create_model_version(name, f"models:/{logged_model_id}", model_id=logged_model_id)
        r = httpx.get(f"{server_url}/model-versions/get-artifact",
                      params={"name": name, "version": version.version, "path": "data/weights.bin"})
        assert r.status_code == 200 and r.content == b"\x00\x01\x02"

    def test_invalid_path_is_mlflows_exact_error(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/model-versions/get-artifact",
                      params={"name": "model", "version": 1, "path": "../path"})
        assert r.status_code == 400
        assert r.json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid path"}


class TestLoggedModelArtifacts:
    @pytest.mark.parametrize("prefix", ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"])
    def test_directories_lists_the_model_root(self, server_url: str, logged_model_id: str, prefix: str) -> None:
        body = httpx.get(f"{server_url}{prefix}/logged-models/{logged_model_id}/artifacts/directories").json()
        assert body["root_uri"].endswith(f"/models/{logged_model_id}/artifacts")
        assert sorted((f["path"], f["is_dir"]) for f in body["files"]) == [("MLmodel", False), ("data", True)]

    def test_directories_lists_a_sub_directory(self, server_url: str, logged_model_id: str) -> None:
        body = httpx.get(f"{server_url}/api/2.0/mlflow/logged-models/{logged_model_id}/artifacts/directories",
                         params={"artifact_directory_path": "data"}).json()
        assert body["files"] == [{"path": "data/weights.bin", "is_dir": False, "file_size": 3}]

    def test_files_sends_a_file(self, server_url: str, logged_model_id: str) -> None:
        r = httpx.get(f"{server_url}/ajax-api/2.0/mlflow/logged-models/{logged_model_id}/artifacts/files",
                      params={"artifact_file_path": "MLmodel"})
        assert r.status_code == 200 and r.text == "flavors: {}\n"

    def test_files_needs_a_path(self, server_url: str, logged_model_id: str) -> None:
        r = httpx.get(f"{server_url}/ajax-api/2.0/mlflow/logged-models/{logged_model_id}/artifacts/files")
        assert assert_error(r, 400, "BAD_REQUEST")["message"] == (
            'Request must include the "artifact_file_path" query parameter.')

    def test_unknown_model_is_404(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/logged-models/m-{'0' * 32}/artifacts/directories")
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestModelVersionArtifactPermissions:
    def test_needs_read_on_the_registered_model(self, auth_server, identities, as_caller, unique: str,
                                                model_dir: Path) -> None:
        from tests.fixtures.identities import ADMIN_TOKEN

        admin = as_caller(ADMIN_TOKEN)
        logged = admin.create_logged_model(admin.create_experiment(f"ui-mv-perm-{unique}"), name="m")
        admin.log_model_artifacts(logged.model_id, str(model_dir))
        name = f"ui-mv-perm-{unique}"
        admin.create_registered_model(name)
        admin.create_model_version(name, f"models:/{logged.model_id}", model_id=logged.model_id)
        model_id = httpx.get(f"{auth_server.url}/api/2.0/mlflow/databricks/registered-models/get",
                             params={"name": name}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                             ).json()["registered_model_databricks"]["id"]
        reader = identities.service_principal()

        def get() -> httpx.Response:
            return httpx.get(f"{auth_server.url}/model-versions/get-artifact",
                             params={"name": name, "version": "1", "path": "MLmodel"},
                             headers={"Authorization": f"Bearer {reader.token}"})

        assert_error(get(), 403, "PERMISSION_DENIED")
        identities.grant("registered-models", model_id, reader, "CAN_READ")
        r = get()
        assert r.status_code == 200 and r.text == "flavors: {}\n"
