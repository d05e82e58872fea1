"""Who may use an evaluation dataset on an authenticated server: the rule of its linked experiments."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.identities import ADMIN_TOKEN


def test_a_dataset_follows_its_experiments(as_caller, identities, unique: str) -> None:
    admin = as_caller(ADMIN_TOKEN)
    experiment_id = admin.create_experiment(f"perm-{unique}")
    dataset = admin.create_dataset(name=f"perm-{unique}", experiment_id=experiment_id, tags={"k": "v"})
    reader = identities.service_principal()

    stranger = as_caller(reader.token)
    with pytest.raises(MlflowException) as err:
        stranger.get_dataset(dataset.dataset_id)
    assert err.value.error_code == "PERMISSION_DENIED"
    assert dataset.dataset_id not in [d.dataset_id for d in stranger.search_datasets()]

    identities.grant("experiments", experiment_id, reader, "CAN_READ")
    assert stranger.get_dataset(dataset.dataset_id).tags["k"] == "v"
    assert dataset.dataset_id in [d.dataset_id for d in stranger.search_datasets(experiment_ids=[experiment_id])]
    with pytest.raises(MlflowException) as err:
        stranger.set_dataset_tags(dataset.dataset_id, {"k": "changed"})
    assert err.value.error_code == "PERMISSION_DENIED"
    assert as_caller(ADMIN_TOKEN).get_dataset(dataset.dataset_id).tags["k"] == "v"
    # Linking a dataset to an experiment changes the experiment: CAN_READ is not enough.
    with pytest.raises(MlflowException) as err:
        as_caller(reader.token).create_dataset(name=f"link-{unique}", experiment_id=experiment_id)
    assert err.value.error_code == "PERMISSION_DENIED"
    admin = as_caller(ADMIN_TOKEN)
    assert admin.search_datasets(filter_string=f"name = 'link-{unique}'") == []


def test_an_unlinked_dataset_is_its_creators(as_caller, identities, unique: str) -> None:
    owner, other = identities.service_principal(), identities.service_principal()
    mine = as_caller(owner.token).create_dataset(name=f"own-{unique}")
    assert as_caller(owner.token).get_dataset(mine.dataset_id).name == f"own-{unique}"
    with pytest.raises(MlflowException) as err:
        as_caller(other.token).delete_dataset(mine.dataset_id)
    assert err.value.error_code == "PERMISSION_DENIED"
    assert as_caller(ADMIN_TOKEN).get_dataset(mine.dataset_id).name == f"own-{unique}"
