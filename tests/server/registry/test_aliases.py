"""Registered-model aliases: set, reassign, delete, get by alias, reserved and invalid names."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from tests.server.registry.registry_helpers import call, error


@pytest.fixture
def model(mlflow_client, unique):
    name = f"al-{unique}"
    mlflow_client.create_registered_model(name)
    mlflow_client.create_model_version(name, "s3://b/1")
    mlflow_client.create_model_version(name, "s3://b/2")
    return name


class TestSetRegisteredModelAlias:
    def test_set_and_get_by_alias(self, mlflow_client, model):
        mlflow_client.set_registered_model_alias(model, "champion", "1")
        mv = mlflow_client.get_model_version_by_alias(model, "champion")
        assert mv.version == "1" and mv.aliases == ["champion"]
        assert mlflow_client.get_registered_model(model).aliases == {"champion": "1"}

    def test_reassign_moves_the_alias(self, mlflow_client, model):
        mlflow_client.set_registered_model_alias(model, "champion", "1")
        mlflow_client.set_registered_model_alias(model, "champion", "2")
        assert mlflow_client.get_model_version_by_alias(model, "champion").version == "2"
        assert mlflow_client.get_model_version(model, "1").aliases == []
        assert mlflow_client.get_registered_model(model).aliases == {"champion": "2"}

    def test_several_aliases_on_one_version(self, mlflow_client, model):
        mlflow_client.set_registered_model_alias(model, "a", "2")
        mlflow_client.set_registered_model_alias(model, "b-2_x", "2")
        assert sorted(mlflow_client.get_model_version(model, "2").aliases) == ["a", "b-2_x"]

    @pytest.mark.parametrize("alias", ["latest", "LATEST", "v1", "V12", "bad alias", "a/b", "x" * 256])
    def test_reserved_and_invalid_aliases_are_refused(self, server_url, mlflow_client, model, alias):
        resp = call(server_url, "POST", "/registered-models/alias", {"name": model, "alias": alias, "version": "1"})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert mlflow_client.get_registered_model(model).aliases == {}

    def test_alias_to_missing_version_is_404(self, server_url, model):
        resp = call(server_url, "POST", "/registered-models/alias", {"name": model, "alias": "x", "version": "9"})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")


class TestDeleteRegisteredModelAlias:
    def test_delete_alias(self, mlflow_client, model):
        mlflow_client.set_registered_model_alias(model, "champion", "1")
        mlflow_client.delete_registered_model_alias(model, "champion")
        assert mlflow_client.get_registered_model(model).aliases == {}
        with pytest.raises(MlflowException, match="alias champion not found"):
            mlflow_client.get_model_version_by_alias(model, "champion")

    def test_delete_uses_delete_with_json_body(self, server_url, mlflow_client, model):
        mlflow_client.set_registered_model_alias(model, "champion", "1")
        assert call(server_url, "DELETE", "/registered-models/alias", {"name": model, "alias": "champion"}).status_code == 200
        assert mlflow_client.get_registered_model(model).aliases == {}


class TestGetModelVersionByAlias:
    def test_unknown_alias_is_400_not_404(self, server_url, model):
        resp = call(server_url, "GET", "/registered-models/alias", params={"name": model, "alias": "ghost"})
        assert error(resp) == (400, "INVALID_PARAMETER_VALUE", "Registered model alias ghost not found.")

    def test_unknown_model_is_404(self, server_url, unique):
        resp = call(server_url, "GET", "/registered-models/alias", params={"name": f"no-{unique}", "alias": "a"})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")
