"""The workspace-registry permission table (docs/governance.md, "Permissions on registered models"), cell by cell: for each way of
holding a level (none, each of the five levels directly, a grant on the registry root, a group grant, a
nested-group grant) and each action, a service principal holding exactly that level acts through the real
mlflow client (or the databricks-sdk), and the action either succeeds or is a 403 that changed nothing.

Rules under test (the level each action needs): CAN_READ to view a model, a version, its download URI, the
latest versions, a version by alias, the Databricks get-model, and to find the model in searches; CAN_EDIT
to create a version, update model or version descriptions, set or delete tags (model or version) and set or
delete aliases; CAN_MANAGE to rename, delete a version, delete the model, read or change its permissions.
Creating a model needs CAN_CREATE_REGISTERED_MODEL (or CAN_MANAGE) on root; see test_registry_create_rights.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.ml import RegisteredModelAccessControlRequest, RegisteredModelPermissionLevel
from mlflow.exceptions import MlflowException

from regista.server.permissions.stores import grants as grant_store
from tests.fixtures.identities import Caller, workspace_client
from tests.server.registry.registry_helpers import latest
from tests.server.registry.registry_permission_helpers import (
    EXTERNAL_SOURCE,
    admin_api,
    caller_api,
    create_model,
)

RANK = {None: 0, "CAN_READ": 1, "CAN_EDIT": 2, "CAN_MANAGE_STAGING_VERSIONS": 3,
        "CAN_MANAGE_PRODUCTION_VERSIONS": 4, "CAN_MANAGE": 5}
READ, EDIT, MANAGE = RANK["CAN_READ"], RANK["CAN_EDIT"], RANK["CAN_MANAGE"]

# scenario -> (how the level is held, the level)
SCENARIOS: dict[str, tuple[str, str | None]] = {
    "no-permission": ("none", None),
    "read": ("direct", "CAN_READ"),
    "edit": ("direct", "CAN_EDIT"),
    "manage-staging": ("direct", "CAN_MANAGE_STAGING_VERSIONS"),
    "manage-production": ("direct", "CAN_MANAGE_PRODUCTION_VERSIONS"),
    "manage": ("direct", "CAN_MANAGE"),
    "root-read": ("root", "CAN_READ"),
    "group-edit": ("group", "CAN_EDIT"),
    "nested-group-manage": ("nested-group", "CAN_MANAGE"),
}


@dataclass
class Subject:
    """A service principal holding exactly one level, and how to give it that level on a new model."""

    scenario: str
    caller: Caller
    grantee: Caller | None  # who the per-model grant goes to (the caller or its group); None: root or none
    level: str | None
    identities: Any
    url: str

    def may(self, required: int) -> bool:
        return RANK[self.level] >= required

    def share(self, model_id: str) -> None:
        if self.grantee is not None and self.level is not None:
            self.identities.grant("registered-models", model_id, self.grantee, self.level)


@pytest.fixture(scope="module", params=list(SCENARIOS))
def subject(request, auth_server, identities):
    how, level = SCENARIOS[request.param]
    grantee = None
    if how == "direct":
        caller = grantee = identities.service_principal()
    elif how == "group":
        grantee = identities.group()
        caller = identities.service_principal(grantee)
    elif how == "nested-group":
        grantee = identities.group()
        caller = identities.service_principal(identities.group(grantee))
    else:
        caller = identities.service_principal()
    if how == "root":
        identities.grant("registered-models", "root", caller, level)
    yield Subject(request.param, caller, grantee, level, identities, auth_server.url)
    if how == "root":
        with identities.engine.begin() as conn:
            grant_store.revoke_identities(conn, "registered-models", "root", [caller.identity_id])


@dataclass
class Model:
    name: str
    id: str


def new_model(subject: Subject, versions: int = 1) -> Model:
    """A model (admin-created, with `versions` versions, alias `champion` on v1, tags) shared with the subject."""
    admin = admin_api(subject.url)
    name = f"mx-{subject.scenario}-{uuid.uuid4().hex[:10]}"
    rm_id = create_model(admin, name, versions=versions, tags=[{"key": "team", "value": "a"}],
                         description="original")
    if versions:
        admin.ok("POST", "/registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
        admin.ok("POST", "/model-versions/set-tag", {"name": name, "version": "1", "key": "k", "value": "v"})
    subject.share(rm_id)
    return Model(name, rm_id)


@pytest.fixture(scope="module")
def shared(subject) -> Model:
    """One model per scenario for the actions that leave it usable."""
    return new_model(subject)


def snapshot(url: str, name: str) -> Any:
    """Everything an action on the model could change, as the admin sees it."""
    admin = admin_api(url)
    model = admin.call("GET", "/registered-models/get", params={"name": name})
    versions = admin.call("GET", "/model-versions/search", params={"filter": f"name='{name}'"})
    return model.status_code, model.json(), versions.json()


def error_code(err: BaseException) -> str:
    return str(getattr(err, "error_code", ""))


def check(subject: Subject, required: int, name: str, act: Callable[[], Any]) -> None:
    """Run `act`; it must succeed when the subject's level reaches `required`, else be a 403 that
    leaves the model `name` exactly as it was."""
    if subject.may(required):
        act()
        return
    before = snapshot(subject.url, name)
    with pytest.raises((MlflowException, DatabricksError)) as err:
        act()
    assert error_code(err.value) == "PERMISSION_DENIED", err.value
    assert snapshot(subject.url, name) == before


# Actions on the shared model: (level needed, prepare(client, sdk, subject, model) -> act).
# `prepare` does any admin set-up, so the "changed nothing" snapshot is taken after it.
Prepare = Callable[[Any, Any, Subject, Model], Callable[[], Any]]


def _admin_alias(subject: Subject, model: Model) -> str:
    alias = f"a{uuid.uuid4().hex[:8]}"
    admin_api(subject.url).ok("POST", "/registered-models/alias",
                              {"name": model.name, "alias": alias, "version": "1"})
    return alias


def _admin_model_tag(subject: Subject, model: Model) -> str:
    key = f"t{uuid.uuid4().hex[:8]}"
    admin_api(subject.url).ok("POST", "/registered-models/set-tag", {"name": model.name, "key": key, "value": "x"})
    return key


def _admin_version_tag(subject: Subject, model: Model) -> str:
    key = f"t{uuid.uuid4().hex[:8]}"
    admin_api(subject.url).ok("POST", "/model-versions/set-tag",
                              {"name": model.name, "version": "1", "key": key, "value": "x"})
    return key


SHARED_ACTIONS: dict[str, tuple[int, Prepare]] = {
    "view-model": (READ, lambda c, w, s, m: lambda: c.get_registered_model(m.name)),
    "view-version": (READ, lambda c, w, s, m: lambda: c.get_model_version(m.name, "1")),
    "get-download-uri": (READ, lambda c, w, s, m: lambda: c.get_model_version_download_uri(m.name, "1")),
    "get-latest-versions": (READ, lambda c, w, s, m: lambda: latest(c, m.name)),
    "get-version-by-alias": (READ, lambda c, w, s, m: lambda: c.get_model_version_by_alias(m.name, "champion")),
    "sdk-get-model": (READ, lambda c, w, s, m: lambda: w.model_registry.get_model(m.name)),
    "sdk-get-version": (READ, lambda c, w, s, m: lambda: w.model_registry.get_model_version(m.name, "1")),
    "create-version": (EDIT, lambda c, w, s, m: lambda: c.create_model_version(m.name, EXTERNAL_SOURCE)),
    "update-model-description": (EDIT, lambda c, w, s, m: lambda: c.update_registered_model(m.name, "new")),
    "update-version-description": (EDIT, lambda c, w, s, m: lambda: c.update_model_version(m.name, "1", "new")),
    "set-model-tag": (EDIT, lambda c, w, s, m: lambda: c.set_registered_model_tag(m.name, "k2", "v2")),
    "delete-model-tag": (
        EDIT, lambda c, w, s, m: (lambda key: lambda: c.delete_registered_model_tag(m.name, key))(
            _admin_model_tag(s, m))),
    "set-version-tag": (EDIT, lambda c, w, s, m: lambda: c.set_model_version_tag(m.name, "1", "k2", "v2")),
    "delete-version-tag": (
        EDIT, lambda c, w, s, m: (lambda key: lambda: c.delete_model_version_tag(m.name, "1", key))(
            _admin_version_tag(s, m))),
    "set-alias": (EDIT, lambda c, w, s, m: lambda: c.set_registered_model_alias(m.name, "challenger", "1")),
    "delete-alias": (
        EDIT, lambda c, w, s, m: (lambda alias: lambda: c.delete_registered_model_alias(m.name, alias))(
            _admin_alias(s, m))),
    "sdk-get-permissions": (MANAGE, lambda c, w, s, m: lambda: w.model_registry.get_permissions(m.id)),
    "sdk-change-permissions": (
        MANAGE, lambda c, w, s, m: lambda: w.model_registry.update_permissions(m.id, access_control_list=[
            RegisteredModelAccessControlRequest(group_name="users",
                                                permission_level=RegisteredModelPermissionLevel.CAN_READ)])),
}


@pytest.fixture(scope="module")
def sdk(subject):
    return workspace_client(subject.url, subject.caller.token)


@pytest.mark.parametrize("action", list(SHARED_ACTIONS))
def test_action_on_a_shared_model(subject, shared, sdk, as_caller, action) -> None:
    required, prepare = SHARED_ACTIONS[action]
    client = as_caller(subject.caller.token)
    check(subject, required, shared.name, prepare(client, sdk, subject, shared))


def test_rename(subject, as_caller) -> None:
    model = new_model(subject)
    client = as_caller(subject.caller.token)
    new_name = f"{model.name}-renamed"
    check(subject, MANAGE, model.name, lambda: client.rename_registered_model(model.name, new_name))
    if subject.may(MANAGE):
        # The grants follow the model (they are keyed by its id), so the renamed model is still managed.
        assert client.get_registered_model(new_name).name == new_name


def test_delete_version(subject, as_caller) -> None:
    model = new_model(subject, versions=2)
    client = as_caller(subject.caller.token)
    check(subject, MANAGE, model.name, lambda: client.delete_model_version(model.name, "2"))


def test_delete_model(subject, as_caller, identities) -> None:
    model = new_model(subject)
    client = as_caller(subject.caller.token)
    check(subject, MANAGE, model.name, lambda: client.delete_registered_model(model.name))
    if subject.may(MANAGE):
        # Its grants went with it.
        with identities.engine.connect() as conn:
            assert grant_store.grants_on(conn, "registered-models", [model.id]) == []


def test_search_shows_only_readable_models(subject, shared, as_caller) -> None:
    client = as_caller(subject.caller.token)
    found = client.search_registered_models(filter_string=f"name='{shared.name}'")
    assert [m.name for m in found] == ([shared.name] if subject.may(READ) else [])
    versions = client.search_model_versions(filter_string=f"name='{shared.name}'")
    assert bool(versions) == subject.may(READ)


def test_create_model_with_the_default_root_grant(subject, as_caller, sdk) -> None:
    """Every caller is in `users`, which holds CAN_CREATE_REGISTERED_MODEL on root by default; the creator
    then manages the new model whatever it holds elsewhere."""
    client = as_caller(subject.caller.token)
    name = f"mx-created-{uuid.uuid4().hex[:10]}"
    client.create_registered_model(name)
    model = sdk.model_registry.get_model(name).registered_model_databricks
    assert model.permission_level.value == "CAN_MANAGE"
    client.rename_registered_model(name, f"{name}-2")
    client.delete_registered_model(f"{name}-2")


REGISTRY_ENDPOINTS = [
    ("POST", "/registered-models/create"),
    ("GET", "/registered-models/get"),
    ("POST", "/registered-models/rename"),
    ("PATCH", "/registered-models/update"),
    ("DELETE", "/registered-models/delete"),
    ("GET", "/registered-models/search"),
    ("GET", "/registered-models/get-latest-versions"),
    ("POST", "/registered-models/get-latest-versions"),
    ("POST", "/registered-models/set-tag"),
    ("DELETE", "/registered-models/delete-tag"),
    ("POST", "/registered-models/alias"),
    ("DELETE", "/registered-models/alias"),
    ("GET", "/registered-models/alias"),
    ("POST", "/model-versions/create"),
    ("GET", "/model-versions/get"),
    ("PATCH", "/model-versions/update"),
    ("DELETE", "/model-versions/delete"),
    ("GET", "/model-versions/search"),
    ("GET", "/model-versions/get-download-uri"),
    ("POST", "/model-versions/set-tag"),
    ("DELETE", "/model-versions/delete-tag"),
    ("GET", "/databricks/registered-models/get"),
]


@pytest.fixture(scope="module")
def anon_target(auth_server) -> str:
    name = f"anon-{uuid.uuid4().hex[:10]}"
    create_model(admin_api(auth_server.url), name, versions=1)
    return name


@pytest.mark.parametrize(("method", "path"), REGISTRY_ENDPOINTS, ids=[f"{m} {p}" for m, p in REGISTRY_ENDPOINTS])
def test_anonymous_caller_gets_401_and_changes_nothing(auth_server, anon_target, method, path) -> None:
    name = anon_target
    before = snapshot(auth_server.url, name)
    body = {"name": name, "version": "1", "new_name": f"{name}-x", "key": "k", "value": "v", "alias": "a",
            "description": "d", "source": EXTERNAL_SOURCE}
    anonymous = caller_api(auth_server.url, None)
    if method == "GET":
        r = anonymous.call(method, path, params={"name": name, "version": "1", "alias": "a"})
    else:
        r = anonymous.call(method, path, body)
    assert r.status_code == 401, r.text
    assert r.json()["error_code"] == "UNAUTHENTICATED"
    assert snapshot(auth_server.url, name) == before
