"""The Databricks permissions API for registered models, the registry root and experiments, through the
unmodified databricks-sdk (w.model_registry, w.experiments, w.permissions) against a `--auth` server."""

from __future__ import annotations

import httpx
import pytest
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel
from databricks.sdk.service.ml import (
    ExperimentAccessControlRequest,
    ExperimentPermissionLevel,
    RegisteredModelAccessControlRequest,
    RegisteredModelPermissionLevel,
)
from mlflow.exceptions import MlflowException

from regista.server.permissions.stores import grants as grant_store
from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error
from tests.server.registry.registry_permission_helpers import Api, acl_of, admin_api, create_model

ROOT_PATH = "/registered-models/root"
MODEL_LEVELS = [
    "CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE",
]


def sp_request(caller, level: str) -> RegisteredModelAccessControlRequest:
    return RegisteredModelAccessControlRequest(
        service_principal_name=caller.name, permission_level=RegisteredModelPermissionLevel(level)
    )


def sdk_error(excinfo: pytest.ExceptionInfo[DatabricksError]) -> str:
    return excinfo.value.error_code


@pytest.fixture
def owner(identities):
    return identities.service_principal()


@pytest.fixture
def owned_model(auth_server, owner, unique):
    """(name, id) of a model created by `owner` (who therefore holds CAN_MANAGE on it)."""
    name = f"perm-{unique}"
    return name, create_model(Api(auth_server.url, owner.token), name, versions=1)


class TestGetModelDatabricks:
    def test_returns_the_id_and_the_callers_level(self, auth_server, identities, owner, owned_model) -> None:
        name, rm_id = owned_model
        reader = identities.service_principal()
        identities.grant("registered-models", rm_id, reader, "CAN_READ")
        got = workspace_client(auth_server.url, reader.token).model_registry.get_model(name)
        model = got.registered_model_databricks
        assert (model.id, model.name, model.permission_level.value) == (rm_id, name, "CAN_READ")
        assert [v.version for v in model.latest_versions] == ["1"]
        owner_view = workspace_client(auth_server.url, owner.token).model_registry.get_model(name)
        assert owner_view.registered_model_databricks.permission_level.value == "CAN_MANAGE"
        admin_view = workspace_client(auth_server.url, ADMIN_TOKEN).model_registry.get_model(name)
        assert admin_view.registered_model_databricks.permission_level.value == "CAN_MANAGE"

    def test_is_forbidden_without_read_and_404_for_a_missing_model(self, auth_server, identities, owned_model,
                                                                  unique) -> None:
        stranger = Api(auth_server.url, identities.service_principal().token)
        r = stranger.call("GET", "/databricks/registered-models/get", params={"name": owned_model[0]})
        assert_error(r, 403, "PERMISSION_DENIED")
        r = stranger.call("GET", "/databricks/registered-models/get", params={"name": f"missing-{unique}"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_answers_on_the_preview_prefix(self, auth_server, owned_model) -> None:
        r = admin_api(auth_server.url).call(
            "GET", "/api/2.0/preview/mlflow/databricks/registered-models/get", params={"name": owned_model[0]}
        )
        assert r.json()["registered_model_databricks"]["id"] == owned_model[1]


class TestGetModelPermissions:
    def test_lists_the_creator_root_grants_as_inherited_and_admins(self, auth_server, owner, owned_model) -> None:
        _, rm_id = owned_model
        w = workspace_client(auth_server.url, owner.token)
        perms = w.model_registry.get_permissions(rm_id)
        assert perms.object_id == f"/registered-models/{rm_id}"
        assert perms.object_type == "registered-model"
        by_name = {(e.service_principal_name or e.group_name or e.user_name): e for e in perms.access_control_list}
        creator = by_name[owner.name].all_permissions
        assert [(p.permission_level.value, p.inherited) for p in creator] == [("CAN_MANAGE", False)]
        admins = by_name["admins"].all_permissions
        assert [(p.permission_level.value, p.inherited, p.inherited_from_object) for p in admins] == [
            ("CAN_MANAGE", True, [ROOT_PATH])
        ]
        # CAN_CREATE_REGISTERED_MODEL (users, on root) is no level of a model: not shown as inherited.
        assert "users" not in by_name

    def test_levels_of_a_model_and_of_root(self, auth_server, owner, owned_model) -> None:
        w = workspace_client(auth_server.url, owner.token)
        levels = w.model_registry.get_permission_levels(owned_model[1]).permission_levels
        assert [lvl.permission_level.value for lvl in levels] == MODEL_LEVELS
        assert all(lvl.description for lvl in levels)
        # The SDK's PermissionLevel enum has no CAN_CREATE_REGISTERED_MODEL (it reads it as None): check the JSON.
        root = w.api_client.do("GET", "/api/2.0/permissions/registered-models/root/permissionLevels")
        assert [lvl["permission_level"] for lvl in root["permission_levels"]] == [
            *MODEL_LEVELS, "CAN_CREATE_REGISTERED_MODEL"
        ]

    def test_needs_manage(self, auth_server, identities, owned_model) -> None:
        editor = identities.service_principal()
        identities.grant("registered-models", owned_model[1], editor, "CAN_EDIT")
        w = workspace_client(auth_server.url, editor.token)
        with pytest.raises(DatabricksError) as err:
            w.model_registry.get_permissions(owned_model[1])
        assert sdk_error(err) == "PERMISSION_DENIED"
        # The levels are no secret to a reader.
        assert len(w.model_registry.get_permission_levels(owned_model[1]).permission_levels) == 5

    def test_missing_or_malformed_model_id_is_404(self, admin_workspace) -> None:
        for bad in ("999999999", "not-a-number"):
            with pytest.raises(DatabricksError) as err:
                admin_workspace.model_registry.get_permissions(bad)
            assert sdk_error(err) == "RESOURCE_DOES_NOT_EXIST"


class TestSetModelPermissions:
    def test_put_replaces_every_direct_grant(self, auth_server, identities, owner, owned_model, as_caller) -> None:
        name, rm_id = owned_model
        reader, editor = identities.service_principal(), identities.service_principal()
        group = identities.group()
        w = workspace_client(auth_server.url, owner.token)
        perms = w.model_registry.set_permissions(rm_id, access_control_list=[
            sp_request(owner, "CAN_MANAGE"),
            sp_request(reader, "CAN_READ"),
            RegisteredModelAccessControlRequest(group_name=group.name,
                                                permission_level=RegisteredModelPermissionLevel.CAN_EDIT),
        ])
        got = acl_of(perms.as_dict())
        assert got[reader.name] == [("CAN_READ", False)]
        assert got[group.name] == [("CAN_EDIT", False)]
        assert as_caller(reader.token).get_registered_model(name).name == name
        perms = w.model_registry.set_permissions(rm_id, access_control_list=[
            sp_request(owner, "CAN_MANAGE"), sp_request(editor, "CAN_EDIT"),
        ])
        got = acl_of(perms.as_dict())
        assert reader.name not in got and group.name not in got
        assert got[editor.name] == [("CAN_EDIT", False)]
        with pytest.raises(MlflowException) as err:
            as_caller(reader.token).get_registered_model(name)
        assert err.value.error_code == "PERMISSION_DENIED"

    def test_put_without_a_list_drops_all_direct_grants(self, auth_server, owner, owned_model, admin_workspace) -> None:
        perms = admin_workspace.model_registry.set_permissions(owned_model[1])
        got = acl_of(perms.as_dict())
        assert owner.name not in got
        assert got["admins"] == [("CAN_MANAGE", True)]
        with pytest.raises(DatabricksError) as err:
            workspace_client(auth_server.url, owner.token).model_registry.get_model(owned_model[0])
        assert sdk_error(err) == "PERMISSION_DENIED"

    def test_patch_changes_only_the_named_grantees(self, auth_server, identities, owner, owned_model) -> None:
        _, rm_id = owned_model
        a, b = identities.service_principal(), identities.service_principal()
        w = workspace_client(auth_server.url, owner.token)
        w.model_registry.update_permissions(rm_id, access_control_list=[sp_request(a, "CAN_READ"),
                                                                        sp_request(b, "CAN_READ")])
        perms = w.model_registry.update_permissions(rm_id, access_control_list=[sp_request(a, "CAN_EDIT")])
        got = acl_of(perms.as_dict())
        assert got[a.name] == [("CAN_EDIT", False)]
        assert got[b.name] == [("CAN_READ", False)]
        assert got[owner.name] == [("CAN_MANAGE", False)]

    def test_user_and_group_grantees(self, auth_server, identities, owner, owned_model) -> None:
        user, group = identities.user(), identities.group()
        w = workspace_client(auth_server.url, owner.token)
        perms = w.permissions.update("registered-models", owned_model[1], access_control_list=[
            AccessControlRequest(user_name=user.name, permission_level=PermissionLevel.CAN_MANAGE_STAGING_VERSIONS),
            AccessControlRequest(group_name=group.name, permission_level=PermissionLevel.CAN_READ),
        ])
        got = acl_of(perms.as_dict())
        assert got[user.name] == [("CAN_MANAGE_STAGING_VERSIONS", False)]
        assert got[group.name] == [("CAN_READ", False)]
        entry = next(e for e in perms.access_control_list if e.user_name == user.name)
        assert entry.display_name == user.name
        assert acl_of(w.permissions.get("registered-models", owned_model[1]).as_dict()) == got

    def test_a_manager_through_root_may_change_permissions(self, auth_server, identities, owned_model) -> None:
        root_manager = identities.service_principal()
        identities.grant("registered-models", "root", root_manager, "CAN_MANAGE")
        try:
            other = identities.service_principal()
            w = workspace_client(auth_server.url, root_manager.token)
            got = acl_of(w.model_registry.update_permissions(
                owned_model[1], access_control_list=[sp_request(other, "CAN_READ")]).as_dict())
            assert got[other.name] == [("CAN_READ", False)]
            assert got[root_manager.name] == [("CAN_MANAGE", True)]
        finally:
            revoke(identities, "registered-models", "root", root_manager)

    @pytest.mark.parametrize("level", ["CAN_READ", "CAN_EDIT", "CAN_MANAGE_PRODUCTION_VERSIONS"])
    def test_below_manage_is_forbidden_and_changes_nothing(self, auth_server, identities, owned_model, level) -> None:
        caller = identities.service_principal()
        identities.grant("registered-models", owned_model[1], caller, level)
        api = Api(auth_server.url, caller.token)
        before = admin_api(auth_server.url).ok("GET", f"/api/2.0/permissions/registered-models/{owned_model[1]}")
        body = {"access_control_list": [{"service_principal_name": caller.name, "permission_level": "CAN_MANAGE"}]}
        for method in ("PUT", "PATCH"):
            r = api.call(method, f"/api/2.0/permissions/registered-models/{owned_model[1]}", body)
            assert_error(r, 403, "PERMISSION_DENIED")
        after = admin_api(auth_server.url).ok("GET", f"/api/2.0/permissions/registered-models/{owned_model[1]}")
        assert after == before


class TestInvalidRequests:
    @pytest.mark.parametrize(
        "entry",
        [
            {"service_principal_name": "CALLER", "permission_level": "CAN_CREATE_REGISTERED_MODEL"},
            {"service_principal_name": "CALLER", "permission_level": "CAN_OWN"},
            {"service_principal_name": "CALLER"},
            {"permission_level": "CAN_READ"},
            {"service_principal_name": "CALLER", "group_name": "users", "permission_level": "CAN_READ"},
            {"user_name": "nobody@example.com", "permission_level": "CAN_READ"},
            {"group_name": "no-such-group", "permission_level": "CAN_READ"},
            {"service_principal_name": "00000000-0000-0000-0000-000000000000", "permission_level": "CAN_READ"},
        ],
        ids=["create-level-on-a-model", "unknown-level", "no-level", "no-grantee", "two-grantees",
             "unknown-user", "unknown-group", "unknown-service-principal"],
    )
    def test_is_400_and_changes_nothing(self, auth_server, owner, owned_model, entry) -> None:
        entry = {k: (owner.name if v == "CALLER" else v) for k, v in entry.items()}
        api = Api(auth_server.url, owner.token)
        path = f"/api/2.0/permissions/registered-models/{owned_model[1]}"
        before = api.ok("GET", path)
        for method in ("PUT", "PATCH"):
            body = {"access_control_list": [{"service_principal_name": owner.name, "permission_level": "CAN_READ"},
                                            entry]}
            assert_error(api.call(method, path, body), 400, "INVALID_PARAMETER_VALUE")
        assert api.ok("GET", path) == before

    def test_create_level_on_a_model_names_root_in_the_message(self, auth_server, owner, owned_model) -> None:
        api = Api(auth_server.url, owner.token)
        body = {"access_control_list": [{"service_principal_name": owner.name,
                                         "permission_level": "CAN_CREATE_REGISTERED_MODEL"}]}
        r = api.call("PATCH", f"/api/2.0/permissions/registered-models/{owned_model[1]}", body)
        assert ROOT_PATH in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]


def revoke(identities, object_type: str, object_id: str, caller) -> None:
    """Undo a test's grant (root grants would leak into later tests on the shared server)."""
    with identities.engine.begin() as conn:
        grant_store.revoke_identities(conn, object_type, str(object_id), [caller.identity_id])


class TestRootPermissions:
    def test_admin_sees_the_default_root_grants(self, admin_workspace) -> None:
        perms = admin_workspace.permissions.get("registered-models", "root")
        assert (perms.object_id, perms.object_type) == (ROOT_PATH, "registered-model")
        got = acl_of(admin_workspace.api_client.do("GET", "/api/2.0/permissions/registered-models/root"))
        assert got["users"] == [("CAN_CREATE_REGISTERED_MODEL", False)]
        assert got["admins"] == [("CAN_MANAGE", False)]

    def test_a_root_grant_is_inherited_by_every_model(self, auth_server, identities, admin_workspace, owner,
                                                      owned_model, as_caller) -> None:
        group = identities.group()
        member = identities.service_principal(group)
        try:
            admin_workspace.permissions.update("registered-models", "root", access_control_list=[
                AccessControlRequest(group_name=group.name, permission_level=PermissionLevel.CAN_READ)])
            root = admin_workspace.api_client.do("GET", "/api/2.0/permissions/registered-models/root")
            assert acl_of(root)[group.name] == [("CAN_READ", False)]
            model_acl = workspace_client(auth_server.url, owner.token).model_registry.get_permissions(owned_model[1])
            entry = next(e for e in model_acl.access_control_list if e.group_name == group.name)
            assert [(p.permission_level.value, p.inherited, p.inherited_from_object)
                    for p in entry.all_permissions] == [("CAN_READ", True, [ROOT_PATH])]
            assert as_caller(member.token).get_registered_model(owned_model[0]).name == owned_model[0]
        finally:
            revoke(identities, "registered-models", "root", group)

    def test_create_level_is_accepted_on_root(self, admin_workspace, identities) -> None:
        creator = identities.service_principal()
        try:
            # Raw body: the SDK's PermissionLevel enum cannot express CAN_CREATE_REGISTERED_MODEL.
            perms = admin_workspace.api_client.do("PATCH", "/api/2.0/permissions/registered-models/root", body={
                "access_control_list": [{"service_principal_name": creator.name,
                                         "permission_level": "CAN_CREATE_REGISTERED_MODEL"}]})
            assert acl_of(perms)[creator.name] == [("CAN_CREATE_REGISTERED_MODEL", False)]
        finally:
            revoke(identities, "registered-models", "root", creator)

    def test_only_admins_and_root_managers_may_read_or_change_root(self, auth_server, identities) -> None:
        creator_only = Api(auth_server.url, identities.service_principal().token)
        assert_error(creator_only.call("GET", "/api/2.0/permissions/registered-models/root"), 403, "PERMISSION_DENIED")
        body = {"access_control_list": [{"group_name": "users", "permission_level": "CAN_MANAGE"}]}
        assert_error(creator_only.call("PATCH", "/api/2.0/permissions/registered-models/root", body), 403,
                     "PERMISSION_DENIED")
        assert_error(creator_only.call("PUT", "/api/2.0/permissions/registered-models/root", body), 403,
                     "PERMISSION_DENIED")
        root = admin_api(auth_server.url).ok("GET", "/api/2.0/permissions/registered-models/root")
        assert acl_of(root)["users"] == [("CAN_CREATE_REGISTERED_MODEL", False)]
        # Levels are public.
        assert creator_only.call("GET", "/api/2.0/permissions/registered-models/root/permissionLevels").status_code \
            == 200


@pytest.fixture
def experiment(auth_server, owner, unique) -> str:
    body = Api(auth_server.url, owner.token).ok("POST", "/experiments/create", {"name": f"perm-exp-{unique}"})
    return str(body["experiment_id"])


def exp_request(caller, level: str) -> ExperimentAccessControlRequest:
    return ExperimentAccessControlRequest(service_principal_name=caller.name,
                                          permission_level=ExperimentPermissionLevel(level))


class TestExperimentPermissions:
    def test_get_set_update_and_levels(self, auth_server, identities, owner, experiment) -> None:
        w = workspace_client(auth_server.url, owner.token)
        perms = w.experiments.get_permissions(experiment)
        assert (perms.object_id, perms.object_type) == (f"/experiments/{experiment}", "experiment")
        got = acl_of(perms.as_dict())
        assert got[owner.name] == [("CAN_MANAGE", False)]
        assert got["admins"] == [("CAN_MANAGE", False)]
        reader, editor = identities.service_principal(), identities.service_principal()
        got = acl_of(w.experiments.set_permissions(experiment, access_control_list=[
            exp_request(owner, "CAN_MANAGE"), exp_request(reader, "CAN_READ")]).as_dict())
        assert got[reader.name] == [("CAN_READ", False)]
        got = acl_of(w.experiments.update_permissions(experiment, access_control_list=[
            exp_request(editor, "CAN_EDIT")]).as_dict())
        assert (got[reader.name], got[editor.name]) == ([("CAN_READ", False)], [("CAN_EDIT", False)])
        levels = w.experiments.get_permission_levels(experiment).permission_levels
        assert [lvl.permission_level.value for lvl in levels] == ["CAN_READ", "CAN_EDIT", "CAN_MANAGE"]
        generic = w.permissions.get("experiments", experiment)
        assert acl_of(generic.as_dict()) == got
        # The grant works: the reader now sees the experiment.
        r = Api(auth_server.url, reader.token).call("GET", "/experiments/get", params={"experiment_id": experiment})
        assert r.status_code == 200

    def test_model_only_levels_are_rejected(self, auth_server, owner, experiment) -> None:
        api = Api(auth_server.url, owner.token)
        for level in ("CAN_MANAGE_STAGING_VERSIONS", "CAN_CREATE_REGISTERED_MODEL"):
            body = {"access_control_list": [{"service_principal_name": owner.name, "permission_level": level}]}
            r = api.call("PATCH", f"/api/2.0/permissions/experiments/{experiment}", body)
            assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_editor_may_not_change_permissions(self, auth_server, identities, experiment) -> None:
        editor = identities.service_principal()
        identities.grant("experiments", experiment, editor, "CAN_EDIT")
        w = workspace_client(auth_server.url, editor.token)
        with pytest.raises(DatabricksError) as err:
            w.experiments.update_permissions(experiment, access_control_list=[exp_request(editor, "CAN_MANAGE")])
        assert sdk_error(err) == "PERMISSION_DENIED"
        with pytest.raises(DatabricksError) as err:
            w.experiments.get_permissions(experiment)
        assert sdk_error(err) == "PERMISSION_DENIED"

    def test_missing_experiment_is_404(self, admin_workspace) -> None:
        with pytest.raises(DatabricksError) as err:
            admin_workspace.experiments.get_permissions("987654321")
        assert sdk_error(err) == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/2.0/permissions/registered-models/root"),
        ("PUT", "/api/2.0/permissions/registered-models/root"),
        ("PATCH", "/api/2.0/permissions/registered-models/1"),
        ("GET", "/api/2.0/permissions/registered-models/1/permissionLevels"),
        ("GET", "/api/2.0/permissions/experiments/0"),
        ("PUT", "/api/2.0/permissions/experiments/0"),
        ("PATCH", "/api/2.0/permissions/experiments/0"),
        ("GET", "/api/2.0/permissions/experiments/0/permissionLevels"),
        ("GET", "/api/2.0/mlflow/databricks/registered-models/get?name=x"),
    ],
)
def test_anonymous_callers_get_401(auth_server, method, path) -> None:
    body = {"access_control_list": [{"group_name": "users", "permission_level": "CAN_MANAGE"}]}
    r = httpx.request(method, auth_server.url + path, json=None if method == "GET" else body)
    assert_error(r, 401, "UNAUTHENTICATED")
