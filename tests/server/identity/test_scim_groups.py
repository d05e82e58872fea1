"""SCIM groups through the unmodified databricks-sdk: members, nested groups and the admins group."""

from __future__ import annotations

import httpx
import pytest
from databricks.sdk.errors import AlreadyExists, NotFound, PermissionDenied
from databricks.sdk.service.iam import ComplexValue, Patch, PatchOp

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error

SCIM = "/api/2.0/preview/scim/v2"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _members(w, group_id: str) -> set[str]:
    return {m.value for m in w.groups.get(group_id).members}


def _admins_id(w) -> str:
    (admins,) = w.groups.list(filter='displayName eq "admins"')
    return admins.id


class TestCreateGroup:
    def test_with_users_service_principals_and_groups_as_members(self, admin_workspace, identities,
                                                                 unique) -> None:
        user, sp, inner = identities.user(), identities.service_principal(), identities.group()
        members = [ComplexValue(value=str(c.identity_id)) for c in (user, sp, inner)]
        group = admin_workspace.groups.create(display_name=f"team-{unique}", members=members)
        assert group.display_name == f"team-{unique}"
        refs = {m.value: m.ref for m in group.members}
        assert refs == {
            str(user.identity_id): f"Users/{user.identity_id}",
            str(sp.identity_id): f"ServicePrincipals/{sp.identity_id}",
            str(inner.identity_id): f"Groups/{inner.identity_id}",
        }
        assert [g.value for g in admin_workspace.groups.get(str(inner.identity_id)).groups] == [group.id]

    def test_duplicate_display_name_is_a_conflict(self, admin_workspace, unique) -> None:
        admin_workspace.groups.create(display_name=f"dupg-{unique}")
        with pytest.raises(AlreadyExists):
            admin_workspace.groups.create(display_name=f"dupg-{unique}")

    def test_unknown_member_is_404_and_no_group_is_created(self, admin_workspace, unique) -> None:
        with pytest.raises(NotFound):
            admin_workspace.groups.create(display_name=f"ghost-{unique}", members=[ComplexValue(value="98765432")])
        assert list(admin_workspace.groups.list(filter=f'displayName eq "ghost-{unique}"')) == []

    def test_non_admin_gets_403(self, auth_server, identities, admin_workspace, unique) -> None:
        caller = workspace_client(auth_server.url, identities.user().token)
        with pytest.raises(PermissionDenied):
            caller.groups.create(display_name=f"nope-{unique}")
        assert list(admin_workspace.groups.list(filter=f'displayName eq "nope-{unique}"')) == []

    def test_without_token_is_401(self, auth_server, unique) -> None:
        assert_error(httpx.post(f"{auth_server.url}{SCIM}/Groups", json={"displayName": unique}), 401,
                     "UNAUTHENTICATED")


class TestGetAndListGroups:
    def test_get(self, admin_workspace, unique) -> None:
        created = admin_workspace.groups.create(display_name=f"get-{unique}")
        got = admin_workspace.groups.get(created.id)
        assert (got.id, got.display_name, got.members) == (created.id, f"get-{unique}", [])

    def test_unknown_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.groups.get("98765432")

    def test_filter_by_display_name_and_paging(self, auth_server, admin_workspace, unique) -> None:
        ids = [admin_workspace.groups.create(display_name=f"lg-{unique}-{i}").id for i in range(3)]
        assert [g.id for g in admin_workspace.groups.list(filter=f'displayName eq "lg-{unique}-1"')] == [ids[1]]
        assert [g.id for g in admin_workspace.groups.list(filter=f'displayName sw "lg-{unique}"', count=1)] == ids
        body = httpx.get(f"{auth_server.url}{SCIM}/Groups", headers=ADMIN,
                         params={"filter": f'displayName co "{unique}"', "startIndex": 3, "count": 5}).json()
        assert (body["totalResults"], body["itemsPerPage"], [g["id"] for g in body["Resources"]]) == (3, 1, ids[2:])

    def test_any_caller_may_list(self, auth_server, identities) -> None:
        reader = workspace_client(auth_server.url, identities.user().token)
        assert {"admins", "users"} <= {g.display_name for g in reader.groups.list()}


class TestUpdateGroup:
    def test_put_replaces_name_and_members(self, admin_workspace, identities, unique) -> None:
        a, b = identities.user(), identities.user()
        group = admin_workspace.groups.create(display_name=f"put-{unique}",
                                              members=[ComplexValue(value=str(a.identity_id))])
        admin_workspace.groups.update(group.id, display_name=f"put2-{unique}",
                                      members=[ComplexValue(value=str(b.identity_id))])
        got = admin_workspace.groups.get(group.id)
        assert got.display_name == f"put2-{unique}"
        assert {m.value for m in got.members} == {str(b.identity_id)}

    def test_builtin_groups_cannot_be_renamed(self, auth_server, admin_workspace) -> None:
        r = httpx.put(f"{auth_server.url}{SCIM}/Groups/{_admins_id(admin_workspace)}", headers=ADMIN,
                      json={"displayName": "bosses"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestPatchGroupMembers:
    def test_add_and_remove_members(self, admin_workspace, identities, unique) -> None:
        a, b = identities.user(), identities.service_principal()
        group = admin_workspace.groups.create(display_name=f"pm-{unique}")
        admin_workspace.groups.patch(group.id, operations=[Patch(
            op=PatchOp.ADD, path="members", value=[{"value": str(a.identity_id)}, {"value": str(b.identity_id)}])])
        assert _members(admin_workspace, group.id) == {str(a.identity_id), str(b.identity_id)}
        admin_workspace.groups.patch(group.id, operations=[
            Patch(op=PatchOp.REMOVE, path=f'members[value eq "{a.identity_id}"]')])
        assert _members(admin_workspace, group.id) == {str(b.identity_id)}
        admin_workspace.groups.patch(group.id, operations=[
            Patch(op=PatchOp.REMOVE, path="members", value=[{"value": str(b.identity_id)}])])
        assert _members(admin_workspace, group.id) == set()

    def test_replace_members_and_display_name_without_path(self, admin_workspace, identities, unique) -> None:
        a, b = identities.user(), identities.user()
        group = admin_workspace.groups.create(display_name=f"pr-{unique}",
                                              members=[ComplexValue(value=str(a.identity_id))])
        admin_workspace.groups.patch(group.id, operations=[Patch(op=PatchOp.REPLACE, value={
            "members": [{"value": str(b.identity_id)}], "displayName": f"pr2-{unique}"})])
        got = admin_workspace.groups.get(group.id)
        assert (got.display_name, {m.value for m in got.members}) == (f"pr2-{unique}", {str(b.identity_id)})

    def test_a_group_cannot_contain_itself_through_nesting(self, auth_server, admin_workspace, unique) -> None:
        outer = admin_workspace.groups.create(display_name=f"outer-{unique}")
        inner = admin_workspace.groups.create(display_name=f"inner-{unique}", members=[ComplexValue(value=outer.id)])
        r = httpx.patch(f"{auth_server.url}{SCIM}/Groups/{outer.id}", headers=ADMIN, json={
            "Operations": [{"op": "add", "path": "members", "value": [{"value": inner.id}]}]})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert _members(admin_workspace, outer.id) == set()

    def test_the_builtin_admin_cannot_leave_admins(self, auth_server, admin_workspace) -> None:
        (admin,) = admin_workspace.users.list(filter='userName eq "admin"')
        admins = _admins_id(admin_workspace)
        r = httpx.patch(f"{auth_server.url}{SCIM}/Groups/{admins}", headers=ADMIN, json={
            "Operations": [{"op": "remove", "path": f'members[value eq "{admin.id}"]'}]})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert admin.id in _members(admin_workspace, admins)

    def test_non_admin_cannot_change_members(self, auth_server, identities, admin_workspace, unique) -> None:
        caller = identities.user()
        group = admin_workspace.groups.create(display_name=f"np-{unique}")
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, caller.token).groups.patch(group.id, operations=[Patch(
                op=PatchOp.ADD, path="members", value=[{"value": str(caller.identity_id)}])])
        assert _members(admin_workspace, group.id) == set()

    def test_non_admin_cannot_add_itself_to_admins(self, auth_server, identities, admin_workspace) -> None:
        caller = identities.user()
        admins = _admins_id(admin_workspace)
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, caller.token).groups.patch(admins, operations=[Patch(
                op=PatchOp.ADD, path="members", value=[{"value": str(caller.identity_id)}])])
        assert str(caller.identity_id) not in _members(admin_workspace, admins)


class TestAdminsGroup:
    def test_a_member_of_a_group_nested_in_admins_is_an_admin(self, auth_server, identities, admin_workspace,
                                                              unique) -> None:
        nested = admin_workspace.groups.create(display_name=f"nested-{unique}")
        caller = identities.user()
        admin_workspace.groups.patch(nested.id, operations=[Patch(
            op=PatchOp.ADD, path="members", value=[{"value": str(caller.identity_id)}])])
        client = workspace_client(auth_server.url, caller.token)
        with pytest.raises(PermissionDenied):
            client.groups.create(display_name=f"before-{unique}")
        admin_workspace.groups.patch(_admins_id(admin_workspace), operations=[Patch(
            op=PatchOp.ADD, path="members", value=[{"value": nested.id}])])
        try:
            # Membership changes take effect on the next request.
            assert client.groups.create(display_name=f"after-{unique}").display_name == f"after-{unique}"
        finally:
            admin_workspace.groups.patch(_admins_id(admin_workspace), operations=[
                Patch(op=PatchOp.REMOVE, path=f'members[value eq "{nested.id}"]')])
        with pytest.raises(PermissionDenied):
            client.groups.create(display_name=f"again-{unique}")


class TestDeleteGroup:
    def test_delete_removes_it_and_its_memberships(self, admin_workspace, identities, unique) -> None:
        user = identities.user()
        group = admin_workspace.groups.create(display_name=f"del-{unique}",
                                              members=[ComplexValue(value=str(user.identity_id))])
        admin_workspace.groups.delete(group.id)
        with pytest.raises(NotFound):
            admin_workspace.groups.get(group.id)
        assert admin_workspace.users.get(str(user.identity_id)).groups == []

    @pytest.mark.parametrize("name", ["admins", "users"])
    def test_builtin_groups_cannot_be_deleted(self, auth_server, admin_workspace, name) -> None:
        (group,) = admin_workspace.groups.list(filter=f'displayName eq "{name}"')
        assert_error(httpx.delete(f"{auth_server.url}{SCIM}/Groups/{group.id}", headers=ADMIN), 400,
                     "INVALID_PARAMETER_VALUE")

    def test_non_admin_gets_403(self, auth_server, identities, admin_workspace, unique) -> None:
        group = admin_workspace.groups.create(display_name=f"keep-{unique}")
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, identities.user().token).groups.delete(group.id)
        assert admin_workspace.groups.get(group.id).display_name == f"keep-{unique}"

    def test_unknown_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.groups.delete("98765432")
