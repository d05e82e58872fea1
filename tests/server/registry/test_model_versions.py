"""Model versions: create (with registry copies of the files), get, update, delete, tags, download URI."""

from __future__ import annotations

import time

import pytest
from mlflow.exceptions import MlflowException

from tests.server.registry.registry_helpers import call, error, transition


@pytest.fixture
def model(mlflow_client, unique):
    name = f"mv-{unique}"
    mlflow_client.create_registered_model(name)
    return name


def put_files(live_server, rel: str) -> None:
    """Files written straight into the server's artifact root, as an upload would leave them."""
    root = live_server.data_dir / "artifacts" / rel
    root.mkdir(parents=True, exist_ok=True)
    (root / "MLmodel").write_text("flavors: {}\n")
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "weights.bin").write_bytes(b"\x00\x01" * 100)


class TestCreateModelVersion:
    def test_versions_number_from_one_and_are_ready(self, mlflow_client, model):
        v1 = mlflow_client.create_model_version(model, "s3://bucket/a", tags={"t": "1"}, description="first")
        v2 = mlflow_client.create_model_version(model, "s3://bucket/b")
        assert (v1.version, v2.version) == ("1", "2")
        assert v1.status == "READY" and v1.current_stage == "None"
        assert v1.tags == {"t": "1"} and v1.description == "first" and v1.user_id == "admin"

    def test_wire_shape_has_string_version_and_no_nulls(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/create", {"name": model, "source": "s3://b/x"})
        body = resp.json()["model_version"]
        assert body["version"] == "1" and body["status"] == "READY" and body["current_stage"] == "None"
        assert None not in body.values()

    def test_missing_model_is_404(self, server_url, unique):
        resp = call(server_url, "POST", "/model-versions/create", {"name": f"nope-{unique}", "source": "s3://b/x"})
        assert error(resp) == (404, "RESOURCE_DOES_NOT_EXIST", f"Registered Model with name=nope-{unique} not found")

    @pytest.mark.parametrize(
        "source",
        ["mlflow-artifacts:/1/../../etc", "mlflow-artifacts:/1/%2e%2e/x", "mlflow-artifacts:/1/%252e%252e/x",
         "runs://abc/model"],
    )
    def test_path_traversal_and_bad_sources_are_refused(self, server_url, model, source):
        resp = call(server_url, "POST", "/model-versions/create", {"name": model, "source": source})
        status, code, message = error(resp)
        assert (status, code) == (400, "INVALID_PARAMETER_VALUE")
        assert "Invalid model version source" in message

    def test_runs_source_requires_matching_run_id(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/create",
                    {"name": model, "source": "runs:/aaaa/model", "run_id": "bbbb"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")

    def test_models_source_requires_matching_model_id(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/create",
                    {"name": model, "source": "models:/m-aaaa", "model_id": "m-bbbb"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")

    def test_unknown_logged_model_source_is_400(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/create", {"name": model, "source": "models:/m-0123"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")

    def test_foreign_sources_are_kept_as_is(self, mlflow_client, model):
        mlflow_client.create_model_version(model, "s3://someone-else/model")
        assert mlflow_client.get_model_version_download_uri(model, "1") == "s3://someone-else/model"

    def test_a_local_source_needs_its_runs_local_artifact_directory(self, server_url, mlflow_client, model):
        # As the official server: a path on disk is a source only inside the run's own local artifacts.
        resp = call(server_url, "POST", "/model-versions/create", {"name": model, "source": "/home/me/local/model"})
        status, code, message = error(resp)
        assert (status, code) == (400, "INVALID_PARAMETER_VALUE")
        assert "To use a local path as a model version source" in message

    def test_store_source_is_copied_into_registry_storage(self, live_server, mlflow_client, model, unique):
        put_files(live_server, f"scratch-{unique}/model")
        mv = mlflow_client.create_model_version(model, f"mlflow-artifacts:/scratch-{unique}/model")
        assert mv.source == f"mlflow-artifacts:/scratch-{unique}/model"
        uri = mlflow_client.get_model_version_download_uri(model, mv.version)
        assert uri.startswith("mlflow-artifacts:/_registry/")
        copy = live_server.data_dir / "artifacts" / uri.removeprefix("mlflow-artifacts:/")
        assert (copy / "MLmodel").read_text() == "flavors: {}\n"
        assert (copy / "sub" / "weights.bin").stat().st_size == 200
        # The copy is independent of the original.
        (live_server.data_dir / "artifacts" / f"scratch-{unique}" / "model" / "MLmodel").unlink()
        assert (copy / "MLmodel").exists()

    def test_copy_model_version_inherits_lineage_and_copies_files(self, live_server, mlflow_client, model, unique):
        put_files(live_server, f"scratch-{unique}/model")
        mlflow_client.create_model_version(model, f"mlflow-artifacts:/scratch-{unique}/model", tags={"k": "v"})
        copied = mlflow_client.copy_model_version(f"models:/{model}/1", f"copy-{unique}")
        assert copied.version == "1" and copied.source == f"models:/{model}/1"
        src_uri = mlflow_client.get_model_version_download_uri(model, "1")
        dst_uri = mlflow_client.get_model_version_download_uri(f"copy-{unique}", "1")
        assert dst_uri.startswith("mlflow-artifacts:/_registry/") and dst_uri != src_uri
        # Deleting the original version leaves the copy's files in place.
        mlflow_client.delete_model_version(model, "1")
        assert (live_server.data_dir / "artifacts" / dst_uri.removeprefix("mlflow-artifacts:/") / "MLmodel").exists()

    def test_models_name_version_source_of_missing_version_is_404(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/create", {"name": model, "source": f"models:/{model}/7"})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")


class TestGetModelVersion:
    def test_missing_version_is_404_with_mlflow_message(self, server_url, model):
        resp = call(server_url, "GET", "/model-versions/get", params={"name": model, "version": "3"})
        assert error(resp) == (404, "RESOURCE_DOES_NOT_EXIST", f"Model Version (name={model}, version=3) not found")

    def test_non_integer_version_is_400(self, server_url, model):
        resp = call(server_url, "GET", "/model-versions/get", params={"name": model, "version": "abc"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")


class TestUpdateModelVersion:
    def test_update_description(self, mlflow_client, model):
        mlflow_client.create_model_version(model, "s3://b/x")
        mv = mlflow_client.update_model_version(model, "1", description="better")
        assert mv.description == "better"
        assert mlflow_client.get_model_version(model, "1").description == "better"


class TestDeleteModelVersion:
    def test_deleted_numbers_are_never_reused(self, mlflow_client, model):
        for _ in range(3):
            mlflow_client.create_model_version(model, "s3://b/x")
        mlflow_client.delete_model_version(model, "3")
        mlflow_client.delete_model_version(model, "2")
        assert mlflow_client.create_model_version(model, "s3://b/x").version == "4"
        with pytest.raises(MlflowException, match="not found"):
            mlflow_client.get_model_version(model, "3")

    def test_delete_refused_in_staging_and_nothing_changes(self, server_url, mlflow_client, model):
        mlflow_client.create_model_version(model, "s3://b/x")
        transition(mlflow_client, model, 1, "Staging")
        resp = call(server_url, "DELETE", "/model-versions/delete", {"name": model, "version": "1"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert mlflow_client.get_model_version(model, "1").current_stage == "Staging"

    def test_delete_removes_its_aliases_and_registry_copy(self, live_server, mlflow_client, model, unique):
        put_files(live_server, f"scratch-{unique}/model")
        mlflow_client.create_model_version(model, f"mlflow-artifacts:/scratch-{unique}/model")
        mlflow_client.set_registered_model_alias(model, "champ", "1")
        uri = mlflow_client.get_model_version_download_uri(model, "1")
        copy = live_server.data_dir / "artifacts" / uri.removeprefix("mlflow-artifacts:/")
        assert copy.exists()
        mlflow_client.delete_model_version(model, "1")
        assert mlflow_client.get_registered_model(model).aliases == {}
        # The copy is removed right after the commit, once the response is on its way.
        deadline = time.monotonic() + 5
        while copy.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not copy.exists()


class TestModelVersionTags:
    def test_set_and_delete_tag(self, mlflow_client, model):
        mlflow_client.create_model_version(model, "s3://b/x")
        mlflow_client.set_model_version_tag(model, "1", "k", "v")
        mlflow_client.set_model_version_tag(model, "1", "k", "w")
        assert mlflow_client.get_model_version(model, "1").tags == {"k": "w"}
        mlflow_client.delete_model_version_tag(model, "1", "k")
        assert mlflow_client.get_model_version(model, "1").tags == {}

    def test_set_tag_on_missing_version_is_404(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/set-tag", {"name": model, "version": "9", "key": "a", "value": "b"})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")

    @pytest.mark.parametrize(
        ("key", "message"),
        [
            ("a!b", "Invalid value 'a!b' for parameter 'key' supplied: Names may only contain"),
            ("k" * 251, "'key' exceeds the maximum length of 250 characters"),
        ],
    )
    def test_set_tag_follows_mlflows_tag_rules_and_changes_nothing(self, mlflow_client, server_url, model, key, message):
        mlflow_client.create_model_version(model, "s3://b/x")
        resp = call(server_url, "POST", "/model-versions/set-tag", {"name": model, "version": "1", "key": key, "value": "v"})
        status, code, text = error(resp)
        assert (status, code) == (400, "INVALID_PARAMETER_VALUE") and text.startswith(message)
        assert mlflow_client.get_model_version(model, "1").tags == {}


class TestLoggedModelBackReference:
    def test_model_versions_tag_is_formatted_as_mlflow_formats_it(self, mlflow_client, unique) -> None:
        """Clients compare the tag's text: json.dumps' default separators, versions as numbers."""
        logged = mlflow_client.create_logged_model(mlflow_client.create_experiment(f"backref-{unique}"))
        first, second = f"backref-a-{unique}", f"backref-b-{unique}"
        for name in (first, second):
            mlflow_client.create_registered_model(name)
            mlflow_client.create_model_version(name, f"models:/{logged.model_id}", model_id=logged.model_id)
        tag = mlflow_client.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]
        assert tag == f'[{{"name": "{first}", "version": 1}}, {{"name": "{second}", "version": 1}}]'
