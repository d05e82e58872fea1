"""Stage transitions: case-insensitive stages, archive_existing_versions, invalid stages."""

from __future__ import annotations

import pytest

from tests.server.registry.registry_helpers import call, error, latest, transition


@pytest.fixture
def model(mlflow_client, unique):
    name = f"st-{unique}"
    mlflow_client.create_registered_model(name)
    for _ in range(3):
        mlflow_client.create_model_version(name, "s3://b/x")
    return name


class TestTransitionModelVersionStage:
    @pytest.mark.parametrize("given,expected", [("staging", "Staging"), ("PRODUCTION", "Production"),
                                                ("archived", "Archived"), ("none", "None")])
    def test_stage_names_are_case_insensitive(self, mlflow_client, model, given, expected):
        mv = transition(mlflow_client, model, 1, given)
        assert mv.current_stage == expected
        assert mlflow_client.get_model_version(model, "1").current_stage == expected

    def test_several_versions_may_share_a_stage(self, mlflow_client, model):
        transition(mlflow_client, model, 1, "Production")
        transition(mlflow_client, model, 2, "Production")
        stages = [mlflow_client.get_model_version(model, str(v)).current_stage for v in (1, 2)]
        assert stages == ["Production", "Production"]
        assert [v.version for v in latest(mlflow_client, model, ["Production"])] == ["2"]

    def test_archive_existing_versions_archives_every_other_version_in_the_target_stage(self, mlflow_client, model):
        transition(mlflow_client, model, 1, "Production")
        transition(mlflow_client, model, 2, "Production")
        transition(mlflow_client, model, 3, "Staging")
        mv = transition(mlflow_client, model, 3, "Production", archive=True)
        assert mv.current_stage == "Production"
        stages = {v: mlflow_client.get_model_version(model, str(v)).current_stage for v in (1, 2, 3)}
        assert stages == {1: "Archived", 2: "Archived", 3: "Production"}

    def test_archive_existing_leaves_other_stages_alone(self, mlflow_client, model):
        transition(mlflow_client, model, 1, "Staging")
        transition(mlflow_client, model, 2, "Production", archive=True)
        assert mlflow_client.get_model_version(model, "1").current_stage == "Staging"

    def test_transition_bumps_last_updated_timestamp(self, mlflow_client, model):
        before = mlflow_client.get_model_version(model, "1").last_updated_timestamp
        after = transition(mlflow_client, model, 1, "Staging").last_updated_timestamp
        assert after >= before

    def test_invalid_stage_is_400_and_nothing_changes(self, server_url, mlflow_client, model):
        resp = call(server_url, "POST", "/model-versions/transition-stage",
                    {"name": model, "version": "1", "stage": "Deleted_Internal", "archive_existing_versions": False})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert mlflow_client.get_model_version(model, "1").current_stage == "None"

    def test_missing_version_is_404(self, server_url, model):
        resp = call(server_url, "POST", "/model-versions/transition-stage",
                    {"name": model, "version": "42", "stage": "Staging", "archive_existing_versions": False})
        assert error(resp)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")
