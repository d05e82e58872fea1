"""Admin token management through the unmodified databricks-sdk (w.token_management): on-behalf-of tokens
for service principals, list, get, delete."""

from __future__ import annotations

import httpx
import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.service.iam import Patch, PatchOp

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _admin_id(w) -> int:
    return int(w.current_user.me().id)


class TestCreateOboToken:
    def test_issues_a_token_for_the_service_principal(self, auth_server, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"obo-{unique}")
        created = admin_workspace.token_management.create_obo_token(sp.application_id, lifetime_seconds=600,
                                                                    comment="deploy")
        info = created.token_info
        assert (info.owner_id, info.created_by_id) == (int(sp.id), _admin_id(admin_workspace))
        assert (info.created_by_username, info.comment) == ("admin", "deploy")
        assert info.expiry_time == info.creation_time + 600 * 1000
        me = workspace_client(auth_server.url, created.token_value).current_user.me()
        assert me.user_name == sp.application_id

    def test_mlflow_client_works_with_an_obo_token(self, admin_workspace, as_caller, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"mlf-{unique}")
        token = admin_workspace.token_management.create_obo_token(sp.application_id).token_value
        client = as_caller(token)
        model = client.create_registered_model(f"obo-{unique}")
        assert model.name == f"obo-{unique}"
        assert [m.name for m in client.search_registered_models(f"name = 'obo-{unique}'")] == [f"obo-{unique}"]

    def test_unknown_application_id_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.token_management.create_obo_token("00000000-0000-0000-0000-000000000000")

    def test_a_deactivated_service_principal_gets_no_token(self, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"off-{unique}")
        admin_workspace.service_principals.patch(
            sp.id, operations=[Patch(op=PatchOp.REPLACE, path="active", value="false")])
        with pytest.raises(InvalidParameterValue):
            admin_workspace.token_management.create_obo_token(sp.application_id)
        owned = [t for t in admin_workspace.token_management.list() if t.owner_id == int(sp.id)]
        assert owned == []

    def test_a_user_name_is_not_a_service_principal(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.token_management.create_obo_token("admin")

    def test_non_admin_gets_403_and_no_token_is_made(self, auth_server, identities, admin_workspace) -> None:
        sp, caller = identities.service_principal(), identities.user()

        def sp_tokens() -> int:
            return sum(t.owner_id == sp.identity_id for t in admin_workspace.token_management.list())

        before = sp_tokens()
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, caller.token).token_management.create_obo_token(sp.name)
        assert sp_tokens() == before == 1

    def test_without_token_is_401(self, auth_server) -> None:
        r = httpx.post(f"{auth_server.url}/api/2.0/token-management/on-behalf-of/tokens", json={"application_id": "x"})
        assert_error(r, 401, "UNAUTHENTICATED")


class TestListAndGet:
    def test_list_filters_by_creator(self, auth_server, identities, admin_workspace, unique) -> None:
        user = identities.user()
        own = workspace_client(auth_server.url, user.token).tokens.create(comment=f"own-{unique}")
        sp = admin_workspace.service_principals.create(display_name=f"lst-{unique}")
        obo = admin_workspace.token_management.create_obo_token(sp.application_id, comment=f"obo-{unique}")
        by_user = admin_workspace.token_management.list(created_by_id=user.identity_id)
        assert own.token_info.token_id in [t.token_id for t in by_user]
        assert all(t.created_by_id == user.identity_id for t in by_user)
        by_name = admin_workspace.token_management.list(created_by_username="admin")
        assert obo.token_info.token_id in [t.token_id for t in by_name]
        assert own.token_info.token_id not in [t.token_id for t in by_name]
        everything = [t.token_id for t in admin_workspace.token_management.list()]
        assert {own.token_info.token_id, obo.token_info.token_id} <= set(everything)

    def test_get_returns_the_info_but_never_the_secret(self, auth_server, admin_workspace, unique) -> None:
        created = admin_workspace.tokens.create(comment=f"get-{unique}")
        got = admin_workspace.token_management.get(created.token_info.token_id).token_info
        assert (got.token_id, got.comment, got.created_by_username) == (
            created.token_info.token_id, f"get-{unique}", "admin")
        raw = httpx.get(f"{auth_server.url}/api/2.0/token-management/tokens/{got.token_id}", headers=ADMIN)
        listed = httpx.get(f"{auth_server.url}/api/2.0/token-management/tokens", headers=ADMIN)
        assert created.token_value not in raw.text and created.token_value not in listed.text
        admin_workspace.tokens.delete(created.token_info.token_id)

    def test_get_unknown_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.token_management.get("no-such-token")

    def test_non_admin_cannot_list_or_get(self, auth_server, identities, admin_workspace) -> None:
        caller = workspace_client(auth_server.url, identities.user().token)
        token_id = caller.tokens.create().token_info.token_id
        with pytest.raises(PermissionDenied):
            caller.token_management.list()
        with pytest.raises(PermissionDenied):
            caller.token_management.get(token_id)

    def test_a_member_of_a_group_nested_in_admins_may_manage_tokens(self, auth_server, identities,
                                                                    admin_workspace) -> None:
        (admins,) = admin_workspace.groups.list(filter='displayName eq "admins"')
        nested = identities.group()
        caller = identities.user(nested)
        client = workspace_client(auth_server.url, caller.token)
        with pytest.raises(PermissionDenied):
            client.token_management.list()
        admin_workspace.groups.patch(admins.id, operations=[
            Patch(op=PatchOp.ADD, path="members", value=[{"value": str(nested.identity_id)}])])
        try:
            assert isinstance(client.token_management.list(), list)
        finally:
            admin_workspace.groups.patch(admins.id, operations=[
                Patch(op=PatchOp.REMOVE, path=f'members[value eq "{nested.identity_id}"]')])

    def test_without_token_is_401(self, auth_server) -> None:
        assert_error(httpx.get(f"{auth_server.url}/api/2.0/token-management/tokens"), 401, "UNAUTHENTICATED")
        assert_error(httpx.get(f"{auth_server.url}/api/2.0/token-management/tokens/x"), 401, "UNAUTHENTICATED")


class TestDelete:
    def test_deleting_an_obo_token_revokes_it_right_away(self, auth_server, admin_workspace, unique) -> None:
        sp = admin_workspace.service_principals.create(display_name=f"del-{unique}")
        created = admin_workspace.token_management.create_obo_token(sp.application_id)
        client = workspace_client(auth_server.url, created.token_value)
        client.current_user.me()
        admin_workspace.token_management.delete(created.token_info.token_id)
        with pytest.raises(Unauthenticated):
            client.current_user.me()
        with pytest.raises(NotFound):
            admin_workspace.token_management.get(created.token_info.token_id)

    def test_admin_deletes_a_users_token(self, auth_server, identities, admin_workspace) -> None:
        user = workspace_client(auth_server.url, identities.user().token)
        created = user.tokens.create()
        admin_workspace.token_management.delete(created.token_info.token_id)
        with pytest.raises(Unauthenticated):
            workspace_client(auth_server.url, created.token_value).current_user.me()

    def test_non_admin_gets_403_and_the_token_survives(self, auth_server, identities, admin_workspace) -> None:
        created = admin_workspace.token_management.create_obo_token(identities.service_principal().name)
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, identities.user().token).token_management.delete(
                created.token_info.token_id)
        workspace_client(auth_server.url, created.token_value).current_user.me()

    def test_unknown_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.token_management.delete("no-such-token")

    def test_without_token_is_401(self, auth_server) -> None:
        r = httpx.delete(f"{auth_server.url}/api/2.0/token-management/tokens/x")
        assert_error(r, 401, "UNAUTHENTICATED")
