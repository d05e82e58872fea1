"""Registering a version copies its source's files into the registry, where the version's readers can
download them: the caller must be able to read the source (its run's experiment, or the registered model
a `models:/name/version` source names), besides holding CAN_EDIT on the target model."""

from __future__ import annotations

import uuid

import pytest
from mlflow.exceptions import MlflowException

from tests.server.registry.registry_permission_helpers import admin_api, model_id


@pytest.fixture
def foreign_run(identities, as_caller):
    """(owner, run id) of a run with files under `model/`, in an experiment only its owner may read."""
    owner = identities.service_principal()
    client = as_caller(owner.token)
    experiment_id = client.create_experiment(f"src-{uuid.uuid4().hex[:10]}")
    run = client.create_run(experiment_id)
    client.log_text(run.info.run_id, "flavors: {}", "model/MLmodel")
    return owner, experiment_id, run.info.run_id


def test_a_run_source_needs_read_on_its_experiment(auth_server, identities, as_caller, foreign_run) -> None:
    _, experiment_id, run_id = foreign_run
    registrar = identities.service_principal()
    client = as_caller(registrar.token)
    name = f"src-{uuid.uuid4().hex[:10]}"
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as err:
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    assert err.value.error_code == "PERMISSION_DENIED"
    versions = admin_api(auth_server.url).ok("GET", "/model-versions/search", params={"filter": f"name='{name}'"})
    assert versions.get("model_versions", []) == []
    identities.grant("experiments", experiment_id, registrar, "CAN_READ")
    assert client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id).version == "1"


def test_a_registered_version_source_needs_read_on_that_model(auth_server, identities, as_caller,
                                                             foreign_run) -> None:
    owner, _, run_id = foreign_run
    owner_client = as_caller(owner.token)
    source_name = f"src-{uuid.uuid4().hex[:10]}"
    owner_client.create_registered_model(source_name)
    owner_client.create_model_version(source_name, f"runs:/{run_id}/model", run_id=run_id)
    registrar = identities.service_principal()
    client = as_caller(registrar.token)
    name = f"copy-{uuid.uuid4().hex[:10]}"
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as err:
        client.create_model_version(name, f"models:/{source_name}/1")
    assert err.value.error_code == "PERMISSION_DENIED"
    identities.grant("registered-models", model_id(admin_api(auth_server.url), source_name), registrar, "CAN_READ")
    assert client.create_model_version(name, f"models:/{source_name}/1").version == "1"


def test_an_external_source_behind_an_unreadable_alias_is_refused_before_the_alias_is_resolved(
    auth_server, identities, as_caller
) -> None:
    # Files outside the server's store are never copied, so only the read check on the source model stands
    # between a registrar and the other model's storage location, run and aliases.
    owner = identities.service_principal()
    owner_client = as_caller(owner.token)
    source_name = f"ext-{uuid.uuid4().hex[:10]}"
    owner_client.create_registered_model(source_name)
    owner_client.create_model_version(source_name, "s3://other-team-bucket/model")
    owner_client.set_registered_model_alias(source_name, "champion", "1")
    registrar = identities.service_principal()
    client = as_caller(registrar.token)
    name = f"copy-{uuid.uuid4().hex[:10]}"
    client.create_registered_model(name)
    for source in (f"models:/{source_name}@champion", f"models:/{source_name}@no-such-alias",
                   f"models:/{source_name}/Production"):
        with pytest.raises(MlflowException) as err:
            client.create_model_version(name, source)
        assert err.value.error_code == "PERMISSION_DENIED", source
    versions = admin_api(auth_server.url).ok("GET", "/model-versions/search", params={"filter": f"name='{name}'"})
    assert versions.get("model_versions", []) == []


def test_a_run_source_outside_the_store_still_needs_read_on_the_run(auth_server, identities, as_caller,
                                                                   foreign_run) -> None:
    _, _, run_id = foreign_run
    registrar = identities.service_principal()
    client = as_caller(registrar.token)
    name = f"ext-{uuid.uuid4().hex[:10]}"
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as err:
        client.create_model_version(name, f"runs:/{run_id}/not-logged-here", run_id=run_id)
    assert err.value.error_code == "PERMISSION_DENIED"
