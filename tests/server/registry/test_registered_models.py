"""Registered models: create, get, rename, update, delete, tags, over the real mlflow client and raw HTTP."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from tests.server.registry.registry_helpers import call, error, transition


class TestCreateRegisteredModel:
    def test_creates_with_tags_and_description(self, mlflow_client, unique):
        rm = mlflow_client.create_registered_model(f"rm-{unique}", tags={"team": "a"}, description="d")
        assert rm.name == f"rm-{unique}"
        assert rm.tags == {"team": "a"}
        assert rm.description == "d"
        assert rm.creation_timestamp == rm.last_updated_timestamp > 0
        assert rm.latest_versions == []

    def test_wire_shape_omits_unset_fields_and_sets_user(self, server_url, unique):
        resp = call(server_url, "POST", "/registered-models/create", {"name": f"rm-{unique}"})
        assert resp.status_code == 200
        body = resp.json()["registered_model"]
        assert set(body) == {"name", "creation_timestamp", "last_updated_timestamp", "user_id"}
        assert body["user_id"] == "admin"
        assert None not in body.values()

    def test_duplicate_is_resource_already_exists(self, server_url, unique):
        call(server_url, "POST", "/registered-models/create", {"name": f"rm-{unique}"})
        resp = call(server_url, "POST", "/registered-models/create", {"name": f"rm-{unique}"})
        assert error(resp) == (400, "RESOURCE_ALREADY_EXISTS", f"Registered Model (name=rm-{unique}) already exists.")

    @pytest.mark.parametrize("bad", ["", "a/b", "a:b"])
    def test_invalid_names_are_refused(self, server_url, bad):
        resp = call(server_url, "POST", "/registered-models/create", {"name": bad})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")

    def test_missing_name_is_400(self, server_url):
        resp = call(server_url, "POST", "/registered-models/create", {})
        status, code, message = error(resp)
        assert (status, code) == (400, "INVALID_PARAMETER_VALUE")
        assert "Missing value for required parameter 'name'" in message


class TestGetRegisteredModel:
    def test_missing_model_is_404_with_mlflow_message(self, server_url, unique):
        resp = call(server_url, "GET", "/registered-models/get", params={"name": f"nope-{unique}"})
        assert error(resp) == (404, "RESOURCE_DOES_NOT_EXIST", f"Registered Model with name=nope-{unique} not found")

    def test_latest_versions_are_one_per_stage_highest_version(self, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        for _ in range(5):
            mlflow_client.create_model_version(name, "s3://bucket/m")
        transition(mlflow_client, name, 1, "Staging")
        transition(mlflow_client, name, 2, "Staging")
        transition(mlflow_client, name, 3, "Production")
        rm = mlflow_client.get_registered_model(name)
        got = {(v.current_stage, v.version) for v in rm.latest_versions}
        assert got == {("Staging", "2"), ("Production", "3"), ("None", "5")}


class TestRenameRegisteredModel:
    def test_rename_moves_versions_and_frees_the_old_name(self, mlflow_client, unique):
        mlflow_client.create_registered_model(f"old-{unique}")
        mlflow_client.create_model_version(f"old-{unique}", "s3://b/x")
        mlflow_client.rename_registered_model(f"old-{unique}", f"new-{unique}")
        assert mlflow_client.get_registered_model(f"new-{unique}").name == f"new-{unique}"
        assert mlflow_client.get_model_version(f"new-{unique}", "1").name == f"new-{unique}"
        with pytest.raises(MlflowException, match="not found"):
            mlflow_client.get_registered_model(f"old-{unique}")

    def test_rename_to_existing_name_is_already_exists(self, server_url, mlflow_client, unique):
        mlflow_client.create_registered_model(f"a-{unique}")
        mlflow_client.create_registered_model(f"b-{unique}")
        resp = call(server_url, "POST", "/registered-models/rename", {"name": f"a-{unique}", "new_name": f"b-{unique}"})
        assert error(resp)[:2] == (400, "RESOURCE_ALREADY_EXISTS")

    def test_rename_refused_with_a_version_in_staging_and_nothing_changes(self, server_url, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        mlflow_client.create_model_version(name, "s3://b/x")
        transition(mlflow_client, name, 1, "Staging")
        resp = call(server_url, "POST", "/registered-models/rename", {"name": name, "new_name": f"x-{unique}"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert mlflow_client.get_registered_model(name).name == name
        with pytest.raises(MlflowException):
            mlflow_client.get_registered_model(f"x-{unique}")

    def test_rename_allowed_when_versions_are_none_or_archived(self, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        mlflow_client.create_model_version(name, "s3://b/x")
        mlflow_client.create_model_version(name, "s3://b/x")
        transition(mlflow_client, name, 1, "Archived")
        mlflow_client.rename_registered_model(name, f"r2-{unique}")
        assert len(mlflow_client.get_registered_model(f"r2-{unique}").latest_versions) == 2


class TestUpdateRegisteredModel:
    def test_update_description_bumps_last_updated(self, mlflow_client, unique):
        rm = mlflow_client.create_registered_model(f"rm-{unique}", description="one")
        updated = mlflow_client.update_registered_model(f"rm-{unique}", description="two")
        assert updated.description == "two"
        assert updated.last_updated_timestamp >= rm.last_updated_timestamp
        assert mlflow_client.get_registered_model(f"rm-{unique}").description == "two"

    def test_update_uses_patch(self, server_url, unique):
        call(server_url, "POST", "/registered-models/create", {"name": f"rm-{unique}"})
        resp = call(server_url, "PATCH", "/registered-models/update", {"name": f"rm-{unique}", "description": "x"})
        assert resp.json()["registered_model"]["description"] == "x"


class TestDeleteRegisteredModel:
    def test_delete_removes_model_versions_tags_and_aliases(self, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name, tags={"k": "v"})
        mlflow_client.create_model_version(name, "s3://b/x", tags={"t": "1"})
        mlflow_client.set_registered_model_alias(name, "champ", "1")
        mlflow_client.delete_registered_model(name)
        with pytest.raises(MlflowException, match=f"Registered Model with name={name} not found"):
            mlflow_client.get_registered_model(name)
        # The name is free again and starts from version 1.
        mlflow_client.create_registered_model(name)
        assert mlflow_client.create_model_version(name, "s3://b/x").version == "1"
        assert mlflow_client.get_registered_model(name).aliases == {}

    def test_delete_refused_with_a_version_in_production_and_nothing_changes(self, server_url, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        mlflow_client.create_model_version(name, "s3://b/x")
        transition(mlflow_client, name, 1, "Production")
        resp = call(server_url, "DELETE", "/registered-models/delete", {"name": name})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert mlflow_client.get_model_version(name, "1").current_stage == "Production"

    def test_delete_missing_model_is_404(self, server_url, unique):
        resp = call(server_url, "DELETE", "/registered-models/delete", {"name": f"nope-{unique}"})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")


class TestRegisteredModelTags:
    def test_set_overwrite_and_delete_tag(self, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        mlflow_client.set_registered_model_tag(name, "k", "v1")
        mlflow_client.set_registered_model_tag(name, "k", "v2")
        mlflow_client.set_registered_model_tag(name, "other", "x")
        assert mlflow_client.get_registered_model(name).tags == {"k": "v2", "other": "x"}
        mlflow_client.delete_registered_model_tag(name, "k")
        assert mlflow_client.get_registered_model(name).tags == {"other": "x"}

    def test_delete_tag_uses_delete_with_json_body(self, server_url, unique):
        call(server_url, "POST", "/registered-models/create", {"name": f"rm-{unique}", "tags": [{"key": "a", "value": "b"}]})
        assert call(server_url, "DELETE", "/registered-models/delete-tag", {"name": f"rm-{unique}", "key": "a"}).status_code == 200
        body = call(server_url, "GET", "/registered-models/get", params={"name": f"rm-{unique}"}).json()
        assert "tags" not in body["registered_model"]

    def test_set_tag_on_missing_model_is_404(self, server_url, unique):
        resp = call(server_url, "POST", "/registered-models/set-tag", {"name": f"no-{unique}", "key": "a", "value": "b"})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")

    @pytest.mark.parametrize(
        ("key", "value", "message"),
        [
            ("a!b", "v", "Invalid value 'a!b' for parameter 'key' supplied: Names may only contain"),
            ("a/../b", "v", "Invalid value 'a/../b' for parameter 'key' supplied: Names may be treated as files"),
            ("k" * 251, "v", "'key' exceeds the maximum length of 250 characters"),
            ("k", "v" * 100_001, "'value' exceeds the maximum length of 100000 characters"),
        ],
    )
    def test_set_tag_follows_mlflows_tag_rules_and_changes_nothing(self, server_url, unique, key, value, message):
        name = f"rm-{unique}"
        call(server_url, "POST", "/registered-models/create", {"name": name})
        resp = call(server_url, "POST", "/registered-models/set-tag", {"name": name, "key": key, "value": value})
        status, code, text = error(resp)
        assert (status, code) == (400, "INVALID_PARAMETER_VALUE") and text.startswith(message)
        body = call(server_url, "GET", "/registered-models/get", params={"name": name}).json()
        assert "tags" not in body["registered_model"]

    def test_create_refuses_a_bad_tag_key_and_creates_nothing(self, server_url, unique):
        name = f"rm-{unique}"
        resp = call(server_url, "POST", "/registered-models/create", {"name": name, "tags": [{"key": "a!b", "value": "v"}]})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert error(call(server_url, "GET", "/registered-models/get", params={"name": name}))[0] == 404

    def test_longest_allowed_tag_is_stored(self, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        mlflow_client.set_registered_model_tag(name, "k" * 250, "v" * 100_000)
        assert mlflow_client.get_registered_model(name).tags == {"k" * 250: "v" * 100_000}


class TestGetLatestVersions:
    def test_post_and_get_with_stage_filter_case_insensitive(self, server_url, mlflow_client, unique):
        name = f"rm-{unique}"
        mlflow_client.create_registered_model(name)
        for _ in range(3):
            mlflow_client.create_model_version(name, "s3://b/x")
        transition(mlflow_client, name, 1, "Production")
        transition(mlflow_client, name, 2, "Production")
        post = call(server_url, "POST", "/registered-models/get-latest-versions", {"name": name, "stages": ["production"]})
        get = call(server_url, "GET", "/registered-models/get-latest-versions", params={"name": name, "stages": ["Production"]})
        assert [v["version"] for v in post.json()["model_versions"]] == ["2"]
        assert [v["version"] for v in get.json()["model_versions"]] == ["2"]
        every = call(server_url, "POST", "/registered-models/get-latest-versions", {"name": name}).json()
        assert sorted(v["version"] for v in every["model_versions"]) == ["2", "3"]

    def test_invalid_stage_is_400(self, server_url, mlflow_client, unique):
        mlflow_client.create_registered_model(f"rm-{unique}")
        resp = call(server_url, "POST", "/registered-models/get-latest-versions", {"name": f"rm-{unique}", "stages": ["Bogus"]})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")


class TestListRegisteredModelsDatabricks:
    """databricks-sdk's w.model_registry.list_models() calls the MLflow 1.x GET registered-models/list."""

    def test_sdk_lists_every_page(self, live_server, mlflow_client, unique: str) -> None:
        from tests.fixtures.identities import workspace_client

        names = [f"list-{unique}-{i}" for i in range(3)]
        for name in names:
            mlflow_client.create_registered_model(name, description=f"d {name}")
        w = workspace_client(live_server.url, "unused")
        listed = {m.name: m for m in w.model_registry.list_models(max_results=2)}
        assert set(names) <= set(listed)
        assert listed[names[0]].description == f"d {names[0]}"
        assert listed[names[0]].creation_timestamp > 0

    def test_prefixes(self, server_url: str, mlflow_client, unique: str) -> None:
        import httpx

        mlflow_client.create_registered_model(f"list-prefix-{unique}")
        for prefix in ("/api/2.0/mlflow", "/api/2.0/preview/mlflow"):
            body = httpx.get(f"{server_url}{prefix}/registered-models/list", params={"max_results": 1000}).json()
            assert f"list-prefix-{unique}" in [m["name"] for m in body["registered_models"]]
