"""Creating registered models: CAN_CREATE_REGISTERED_MODEL (or CAN_MANAGE) on the registry root is needed,
the creator gets CAN_MANAGE, and `log_model(registered_model_name=...)` works both for a caller who may
create the model and for a CAN_EDIT caller on an existing model who may not create models.

The server grants CAN_CREATE_REGISTERED_MODEL on root to the `users` group (every caller) at first start;
the tests that need a caller without it take that grant away for their duration and restore it after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LinearRegression

from regista.server.identity.stores import identities as identity_store
from regista.server.permissions.stores import grants as grant_store
from tests.fixtures.identities import workspace_client
from tests.fixtures.wire import assert_error
from tests.server.registry.registry_permission_helpers import admin_api, caller_api, create_model

X = np.array([[0.0], [1.0], [2.0]])
CREATE = "CAN_CREATE_REGISTERED_MODEL"


def log_sklearn_model(registered_model_name: str) -> None:
    # Fixed requirements: inferring them imports the model in a subprocess, seconds per call.
    mlflow.sklearn.log_model(LinearRegression().fit(X, X[:, 0]), name="model", pip_requirements=["scikit-learn"],
                             registered_model_name=registered_model_name)


def fresh_name() -> str:
    return f"create-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def users_cannot_create(identities) -> Iterator[None]:
    """Remove the default users -> CAN_CREATE_REGISTERED_MODEL grant on root for one test."""
    with identities.engine.begin() as conn:
        users_id = identity_store.find_by_name(conn, identity_store.GROUP, "users").id
        grant_store.revoke(conn, "registered-models", "root", users_id, CREATE)
    try:
        yield
    finally:
        with identities.engine.begin() as conn:
            grant_store.grant(conn, "registered-models", "root", users_id, CREATE)


class TestWithTheDefaultRootGrant:
    def test_any_caller_may_create_and_then_manages_the_model(self, auth_server, identities, as_caller) -> None:
        sp = identities.service_principal()
        client = as_caller(sp.token)
        name = fresh_name()
        client.create_registered_model(name, description="mine")
        perms = workspace_client(auth_server.url, sp.token).model_registry.get_permissions(
            workspace_client(auth_server.url, sp.token).model_registry.get_model(name).registered_model_databricks.id
        )
        entry = next(e for e in perms.access_control_list if e.service_principal_name == sp.name)
        assert [(p.permission_level.value, p.inherited) for p in entry.all_permissions] == [("CAN_MANAGE", False)]

    def test_log_model_creates_the_model_and_its_first_version(self, identities, as_caller) -> None:
        sp = identities.service_principal()
        client = as_caller(sp.token)
        name = fresh_name()
        # An explicit experiment id: mlflow.set_experiment would leave a global active experiment behind
        # that later tests (on another server) would log to.
        with mlflow.start_run(experiment_id=client.create_experiment(f"exp-{name}")):
            log_sklearn_model(name)
        assert client.get_model_version(name, "1").name == name


class TestWithoutTheDefaultRootGrant:
    def test_a_caller_without_create_gets_403_and_nothing_is_created(self, auth_server, identities, as_caller,
                                                                     users_cannot_create) -> None:
        sp = identities.service_principal()
        name = fresh_name()
        with pytest.raises(MlflowException) as err:
            as_caller(sp.token).create_registered_model(name)
        assert err.value.error_code == "PERMISSION_DENIED"
        r = admin_api(auth_server.url).call("GET", "/registered-models/get", params={"name": name})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    @pytest.mark.parametrize("level", [CREATE, "CAN_MANAGE"])
    def test_a_root_grant_allows_creating(self, identities, as_caller, users_cannot_create, level) -> None:
        group = identities.group()
        sp = identities.service_principal(group)
        identities.grant("registered-models", "root", group, level)
        try:
            client = as_caller(sp.token)
            name = fresh_name()
            client.create_registered_model(name)
            client.rename_registered_model(name, f"{name}-renamed")  # the creator manages it
        finally:
            with identities.engine.begin() as conn:
                grant_store.revoke_identities(conn, "registered-models", "root", [group.identity_id])

    def test_an_existing_name_is_already_exists_not_403(self, auth_server, identities, users_cannot_create) -> None:
        name = fresh_name()
        create_model(admin_api(auth_server.url), name)
        r = caller_api(auth_server.url, identities.service_principal().token).call(
            "POST", "/registered-models/create", {"name": name})
        assert_error(r, 400, "RESOURCE_ALREADY_EXISTS")

    def test_log_model_adds_a_version_for_an_editor(self, auth_server, identities, as_caller,
                                                    users_cannot_create) -> None:
        name = fresh_name()
        rm_id = create_model(admin_api(auth_server.url), name)
        editor = identities.service_principal()
        identities.grant("registered-models", rm_id, editor, "CAN_EDIT")
        client = as_caller(editor.token)
        # An explicit experiment id: mlflow.set_experiment would leave a global active experiment behind
        # that later tests (on another server) would log to.
        with mlflow.start_run(experiment_id=client.create_experiment(f"exp-{name}")):
            log_sklearn_model(name)
        assert client.get_model_version(name, "1").name == name
