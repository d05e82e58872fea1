"""SCIM service principals through the unmodified databricks-sdk (w.service_principals)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from databricks.sdk.errors import AlreadyExists, NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.service.iam import ComplexValue, Patch, PatchOp

from tests.fixtures.identities import workspace_client
from tests.fixtures.wire import assert_error

SCIM = "/api/2.0/preview/scim/v2"


class TestCreateServicePrincipal:
    def test_generates_an_application_id_when_absent(self, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"bot-{unique}")
        assert uuid.UUID(sp.application_id)
        assert (sp.display_name, sp.active) == (f"bot-{unique}", True)

    def test_keeps_a_given_application_id(self, admin_workspace, unique) -> None:
        app_id = str(uuid.uuid4())
        sp = admin_workspace.service_principals.create(application_id=app_id, display_name=unique)
        assert admin_workspace.service_principals.get(sp.id).application_id == app_id

    def test_in_groups(self, admin_workspace, unique) -> None:
        group = admin_workspace.groups.create(display_name=f"spg-{unique}")
        sp = admin_workspace.service_principals.create(display_name=unique, groups=[ComplexValue(value=group.id)])
        assert [g.value for g in sp.groups] == [group.id]

    def test_duplicate_application_id_is_a_conflict(self, admin_workspace, unique) -> None:
        app_id = str(uuid.uuid4())
        admin_workspace.service_principals.create(application_id=app_id)
        with pytest.raises(AlreadyExists):
            admin_workspace.service_principals.create(application_id=app_id)

    def test_non_admin_gets_403(self, auth_server, identities, admin_workspace, unique) -> None:
        caller = workspace_client(auth_server.url, identities.service_principal().token)
        with pytest.raises(PermissionDenied):
            caller.service_principals.create(display_name=f"nope-{unique}")
        assert list(admin_workspace.service_principals.list(filter=f'displayName eq "nope-{unique}"')) == []

    def test_without_token_is_401(self, auth_server) -> None:
        assert_error(httpx.post(f"{auth_server.url}{SCIM}/ServicePrincipals", json={}), 401, "UNAUTHENTICATED")


class TestGetAndList:
    def test_get_and_unknown(self, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"get-{unique}")
        assert admin_workspace.service_principals.get(sp.id).display_name == f"get-{unique}"
        with pytest.raises(NotFound):
            admin_workspace.service_principals.get("98765432")

    def test_filter_by_application_id_and_display_name(self, admin_workspace, unique) -> None:
        a = admin_workspace.service_principals.create(display_name=f"fsp-{unique}-a")
        b = admin_workspace.service_principals.create(display_name=f"fsp-{unique}-b")
        found = admin_workspace.service_principals.list(filter=f'applicationId eq "{a.application_id}"')
        assert [s.id for s in found] == [a.id]
        found = admin_workspace.service_principals.list(filter=f'displayName sw "fsp-{unique}"', count=1)
        assert [s.id for s in found] == [a.id, b.id]

    def test_any_caller_may_read(self, auth_server, identities) -> None:
        sp = identities.service_principal()
        reader = workspace_client(auth_server.url, identities.user().token)
        assert reader.service_principals.get(str(sp.identity_id)).application_id == sp.name


class TestUpdateAndPatch:
    def test_put_replaces_display_name(self, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"old-{unique}")
        admin_workspace.service_principals.update(sp.id, application_id=sp.application_id,
                                                  display_name=f"new-{unique}")
        got = admin_workspace.service_principals.get(sp.id)
        assert (got.application_id, got.display_name) == (sp.application_id, f"new-{unique}")

    def test_deactivate_and_reactivate(self, auth_server, identities, admin_workspace) -> None:
        caller = identities.service_principal()
        client = workspace_client(auth_server.url, caller.token)
        sp_id = str(caller.identity_id)
        admin_workspace.service_principals.patch(sp_id, operations=[
            Patch(op=PatchOp.REPLACE, path="active", value="false")])
        with pytest.raises(Unauthenticated):
            client.current_user.me()
        admin_workspace.service_principals.patch(sp_id, operations=[
            Patch(op=PatchOp.REPLACE, value={"active": True})])
        assert client.current_user.me().user_name == caller.name

    def test_non_admin_patch_is_403(self, auth_server, identities, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"np-{unique}")
        caller = workspace_client(auth_server.url, identities.user().token)
        with pytest.raises(PermissionDenied):
            caller.service_principals.patch(sp.id, operations=[
                Patch(op=PatchOp.REPLACE, path="displayName", value="x")])
        assert admin_workspace.service_principals.get(sp.id).display_name == f"np-{unique}"


class TestDelete:
    def test_delete_revokes_its_tokens(self, auth_server, identities, admin_workspace) -> None:
        caller = identities.service_principal()
        client = workspace_client(auth_server.url, caller.token)
        client.current_user.me()
        admin_workspace.service_principals.delete(str(caller.identity_id))
        with pytest.raises(NotFound):
            admin_workspace.service_principals.get(str(caller.identity_id))
        with pytest.raises(Unauthenticated):
            client.current_user.me()

    def test_non_admin_gets_403(self, auth_server, identities, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"keep-{unique}")
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, identities.user().token).service_principals.delete(sp.id)
        assert admin_workspace.service_principals.get(sp.id).display_name == f"keep-{unique}"
