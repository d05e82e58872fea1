"""SCIM users through the unmodified databricks-sdk: w.users and w.current_user against `regista server --auth`."""

from __future__ import annotations

import httpx
import pytest
from databricks.sdk.errors import AlreadyExists, NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.service.iam import ComplexValue, ListSortOrder, Patch, PatchOp, PatchSchema

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error

SCIM = "/api/2.0/preview/scim/v2"


def _replace(path: str, value) -> list[Patch]:
    return [Patch(op=PatchOp.REPLACE, path=path, value=value)]


class TestCreateUser:
    def test_returns_the_user_with_its_id(self, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"ann-{unique}@example.com", display_name="Ann")
        assert user.id and user.id.isdigit()
        assert user.user_name == f"ann-{unique}@example.com"
        assert user.display_name == "Ann"
        assert user.active is True
        assert user.emails[0].value == f"ann-{unique}@example.com"
        assert user.groups == []

    def test_with_groups_joins_them(self, admin_workspace, unique) -> None:
        group = admin_workspace.groups.create(display_name=f"g-{unique}")
        user = admin_workspace.users.create(user_name=f"bo-{unique}", groups=[ComplexValue(value=group.id)])
        assert [g.value for g in user.groups] == [group.id]
        assert [m.value for m in admin_workspace.groups.get(group.id).members] == [user.id]

    def test_duplicate_user_name_is_a_conflict(self, admin_workspace, unique) -> None:
        admin_workspace.users.create(user_name=f"dup-{unique}")
        with pytest.raises(AlreadyExists):
            admin_workspace.users.create(user_name=f"dup-{unique}")

    def test_without_user_name_is_400(self, auth_server) -> None:
        r = httpx.post(f"{auth_server.url}{SCIM}/Users", json={"displayName": "x"},
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_non_admin_gets_403_and_nothing_is_created(self, auth_server, identities, admin_workspace,
                                                       unique) -> None:
        caller = identities.user()
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, caller.token).users.create(user_name=f"no-{unique}")
        assert list(admin_workspace.users.list(filter=f'userName eq "no-{unique}"')) == []

    def test_without_token_is_401(self, auth_server, unique) -> None:
        r = httpx.post(f"{auth_server.url}{SCIM}/Users", json={"userName": f"anon-{unique}"})
        assert_error(r, 401, "UNAUTHENTICATED")


class TestGetUser:
    def test_any_authenticated_caller_reads_a_user(self, auth_server, identities, admin_workspace, unique) -> None:
        created = admin_workspace.users.create(user_name=f"read-{unique}")
        reader = workspace_client(auth_server.url, identities.service_principal().token)
        assert reader.users.get(created.id).user_name == f"read-{unique}"

    def test_unknown_id_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.users.get("987654321")

    def test_a_group_id_is_not_a_user(self, admin_workspace, unique) -> None:
        group = admin_workspace.groups.create(display_name=f"notuser-{unique}")
        with pytest.raises(NotFound):
            admin_workspace.users.get(group.id)

    def test_without_token_is_401(self, auth_server) -> None:
        assert_error(httpx.get(f"{auth_server.url}{SCIM}/Users/1"), 401, "UNAUTHENTICATED")


class TestListUsers:
    def test_filter_by_user_name(self, admin_workspace, unique) -> None:
        created = admin_workspace.users.create(user_name=f"Filter-{unique}@example.com")
        found = list(admin_workspace.users.list(filter=f'userName eq "filter-{unique}@example.com"'))
        assert [u.id for u in found] == [created.id]

    def test_filter_contains_and_starts_with(self, admin_workspace, unique) -> None:
        a = admin_workspace.users.create(user_name=f"co-{unique}-a")
        b = admin_workspace.users.create(user_name=f"co-{unique}-b", display_name="Bee")
        assert {u.id for u in admin_workspace.users.list(filter=f'userName co "{unique}"')} == {a.id, b.id}
        assert [u.id for u in admin_workspace.users.list(filter=f'userName sw "co-{unique}-b"')] == [b.id]
        both = f'userName sw "co-{unique}" and displayName eq "Bee"'
        assert [u.id for u in admin_workspace.users.list(filter=both)] == [b.id]
        either = f'userName eq "co-{unique}-a" or userName eq "co-{unique}-b"'
        assert {u.id for u in admin_workspace.users.list(filter=either)} == {a.id, b.id}

    def test_paging_with_start_index_and_count(self, auth_server, admin_workspace, unique) -> None:
        ids = [admin_workspace.users.create(user_name=f"page-{unique}-{i}").id for i in range(5)]
        params = {"filter": f'userName sw "page-{unique}"', "startIndex": 2, "count": 2, "sortBy": "userName"}
        body = httpx.get(f"{auth_server.url}{SCIM}/Users", params=params,
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
        assert body["totalResults"] == 5
        assert body["startIndex"] == 2
        assert body["itemsPerPage"] == 2
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        assert [u["id"] for u in body["Resources"]] == ids[1:3]
        # The SDK pages through everything itself with count.
        paged = list(admin_workspace.users.list(filter=f'userName sw "page-{unique}"', count=2))
        assert [u.id for u in paged] == ids

    def test_sort_descending(self, admin_workspace, unique) -> None:
        ids = [admin_workspace.users.create(user_name=f"sort-{unique}-{i}").id for i in range(3)]
        found = admin_workspace.users.list(filter=f'userName sw "sort-{unique}"', sort_by="userName",
                                           sort_order=ListSortOrder.DESCENDING)
        assert [u.id for u in found] == ids[::-1]

    def test_bad_filter_is_400(self, auth_server) -> None:
        r = httpx.get(f"{auth_server.url}{SCIM}/Users", params={"filter": "userName zz 1"},
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_builtin_admin_is_listed_in_admins(self, admin_workspace) -> None:
        (admin,) = admin_workspace.users.list(filter='userName eq "admin"')
        assert "admins" in [g.display for g in admin.groups]


class TestUpdateUser:
    def test_put_replaces_the_attributes(self, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"put-{unique}", display_name="Old")
        admin_workspace.users.update(user.id, user_name=f"put2-{unique}", display_name="New")
        got = admin_workspace.users.get(user.id)
        assert (got.user_name, got.display_name, got.active) == (f"put2-{unique}", "New", True)

    def test_put_to_a_taken_name_is_a_conflict(self, admin_workspace, unique) -> None:
        admin_workspace.users.create(user_name=f"taken-{unique}")
        user = admin_workspace.users.create(user_name=f"free-{unique}")
        with pytest.raises(AlreadyExists):
            admin_workspace.users.update(user.id, user_name=f"taken-{unique}")
        assert admin_workspace.users.get(user.id).user_name == f"free-{unique}"

    def test_non_admin_put_is_403(self, auth_server, identities, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"keep-{unique}", display_name="Keep")
        caller = workspace_client(auth_server.url, identities.user().token)
        with pytest.raises(PermissionDenied):
            caller.users.update(user.id, user_name=f"keep-{unique}", display_name="Changed")
        assert admin_workspace.users.get(user.id).display_name == "Keep"


class TestPatchUser:
    def test_replace_display_name(self, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"pd-{unique}")
        admin_workspace.users.patch(user.id, operations=_replace("displayName", "Patched"),
                                    schemas=[PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP])
        assert admin_workspace.users.get(user.id).display_name == "Patched"

    def test_deactivating_a_user_locks_out_its_token(self, auth_server, identities, admin_workspace) -> None:
        caller = identities.user()
        client = workspace_client(auth_server.url, caller.token)
        assert client.current_user.me().user_name == caller.name
        admin_workspace.users.patch(str(caller.identity_id), operations=_replace("active", "false"))
        with pytest.raises(Unauthenticated):
            client.current_user.me()
        assert admin_workspace.users.get(str(caller.identity_id)).active is False
        # Databricks' documented value form.
        admin_workspace.users.patch(str(caller.identity_id), operations=_replace("active", [{"value": "true"}]))
        assert client.current_user.me().user_name == caller.name

    def test_add_and_remove_groups_without_path(self, admin_workspace, unique) -> None:
        group = admin_workspace.groups.create(display_name=f"pg-{unique}")
        user = admin_workspace.users.create(user_name=f"pg-{unique}")
        admin_workspace.users.patch(user.id, operations=[
            Patch(op=PatchOp.ADD, value={"groups": [{"value": group.id}]})])
        assert [g.value for g in admin_workspace.users.get(user.id).groups] == [group.id]
        admin_workspace.users.patch(user.id, operations=[
            Patch(op=PatchOp.REMOVE, path=f'groups[value eq "{group.id}"]')])
        assert admin_workspace.users.get(user.id).groups == []

    def test_unknown_path_is_400_and_changes_nothing(self, auth_server, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"bad-{unique}", display_name="Same")
        r = httpx.patch(f"{auth_server.url}{SCIM}/Users/{user.id}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                        json={"Operations": [{"op": "replace", "path": "displayName", "value": "Other"},
                                             {"op": "replace", "path": "shoeSize", "value": "44"}]})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert admin_workspace.users.get(user.id).display_name == "Same"

    def test_builtin_admin_cannot_be_deactivated(self, auth_server, admin_workspace) -> None:
        (admin,) = admin_workspace.users.list(filter='userName eq "admin"')
        r = httpx.patch(f"{auth_server.url}{SCIM}/Users/{admin.id}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                        json={"Operations": [{"op": "replace", "path": "active", "value": False}]})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_non_admin_patch_is_403(self, auth_server, identities, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"np-{unique}")
        caller = workspace_client(auth_server.url, identities.user().token)
        with pytest.raises(PermissionDenied):
            caller.users.patch(user.id, operations=_replace("active", "false"))
        assert admin_workspace.users.get(user.id).active is True


class TestDeleteUser:
    def test_deletes_the_user_and_revokes_its_tokens(self, auth_server, identities, admin_workspace) -> None:
        caller = identities.user()
        client = workspace_client(auth_server.url, caller.token)
        client.current_user.me()
        admin_workspace.users.delete(str(caller.identity_id))
        with pytest.raises(NotFound):
            admin_workspace.users.get(str(caller.identity_id))
        with pytest.raises(Unauthenticated):
            client.current_user.me()

    def test_builtin_admin_cannot_be_deleted(self, auth_server, admin_workspace) -> None:
        (admin,) = admin_workspace.users.list(filter='userName eq "admin"')
        r = httpx.delete(f"{auth_server.url}{SCIM}/Users/{admin.id}",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_unknown_id_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.users.delete("987654321")

    def test_non_admin_delete_is_403(self, auth_server, identities, admin_workspace, unique) -> None:
        user = admin_workspace.users.create(user_name=f"nd-{unique}")
        caller = workspace_client(auth_server.url, identities.user().token)
        with pytest.raises(PermissionDenied):
            caller.users.delete(user.id)
        assert admin_workspace.users.get(user.id).user_name == f"nd-{unique}"


class TestCurrentUser:
    def test_me_is_the_caller(self, auth_server, identities) -> None:
        group = identities.group()
        caller = identities.user(group)
        me = workspace_client(auth_server.url, caller.token).current_user.me()
        assert (me.id, me.user_name) == (str(caller.identity_id), caller.name)
        assert [g.value for g in me.groups] == [str(group.identity_id)]

    def test_me_for_a_service_principal_shows_its_application_id(self, auth_server, identities) -> None:
        sp = identities.service_principal()
        assert workspace_client(auth_server.url, sp.token).current_user.me().user_name == sp.name

    def test_me_for_the_admin(self, admin_workspace) -> None:
        me = admin_workspace.current_user.me()
        assert me.user_name == "admin"
        assert "admins" in [g.display for g in me.groups]

    def test_without_token_is_401(self, auth_server) -> None:
        assert_error(httpx.get(f"{auth_server.url}{SCIM}/Me"), 401, "UNAUTHENTICATED")
