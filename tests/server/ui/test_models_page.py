"""The Models page and the model page in a real browser, on both databases: listing, search (name
fragment and filter grammar), paging, Create model, registry-wide and per-model Permissions, description,
tags, Rename, Delete (and its refusal while a version is in Production), Compare; each action refused
(and not offered) below the level it needs."""

from __future__ import annotations

import re
import uuid

from tests.fixtures.browser import check_page, csrf_of
from tests.fixtures.identities import ADMIN_TOKEN


def rest(registry, path, **params):
    return registry.ok("GET", path, params=params)


class TestModelsList:
    def test_lists_searches_and_pages(self, registry, admin_page) -> None:
        prefix = f"list{uuid.uuid4().hex[:6]}"
        for i in range(27):
            registry.ok("POST", "/registered-models/create", {"name": f"{prefix}-{i:02d}"})
        registry.ok("POST", "/registered-models/set-tag", {"name": f"{prefix}-03", "key": "team", "value": prefix})
        registry.ok("POST", "/model-versions/create", {"name": f"{prefix}-00", "source": "s3://b/m"})
        registry.ok("POST", "/registered-models/alias", {"name": f"{prefix}-00", "alias": "champion", "version": "1"})

        search = admin_page.get_by_label("Search models")
        search.fill(prefix)
        search.press("Enter")
        rows = admin_page.get_by_role("row")
        assert rows.count() == 26  # header + a page of 25
        first = rows.filter(has_text=f"{prefix}-00")
        assert "Version 1" in first.inner_text() and "@champion → v1" in first.inner_text()
        check_page(admin_page, "models-list")
        admin_page.get_by_role("link", name="Next page").click()
        assert [r.inner_text().split("\t")[0] for r in admin_page.get_by_role("row").all()[1:]] == [
            f"{prefix}-25", f"{prefix}-26"]

        search = admin_page.get_by_label("Search models")
        search.fill(f"tags.team = '{prefix}' OR name LIKE '{prefix}-1%'")
        search.press("Enter")
        names = [r.get_by_role("link").first.inner_text() for r in admin_page.get_by_role("row").all()[1:]]
        assert names == [f"{prefix}-03"] + [f"{prefix}-1{i}" for i in range(10)]

    def test_a_search_with_no_match_says_what_to_do(self, admin_page) -> None:
        admin_page.goto(f"/models?q=nothing-{uuid.uuid4().hex}")
        assert "No model matches this search." in admin_page.locator(".empty").inner_text()

    def test_a_bad_filter_is_explained(self, admin_page) -> None:
        admin_page.goto("/models?q=" + "tags.x %3D%3D%3D 'y'")
        assert admin_page.get_by_role("heading", level=1).inner_text() == "That did not work"

    def test_create_model_with_the_keyboard(self, auth_server, admin_page) -> None:
        name = f"kbd-{uuid.uuid4().hex[:8]}"
        admin_page.get_by_role("button", name="Create model").focus()
        admin_page.keyboard.press("Enter")
        admin_page.keyboard.type(name)
        admin_page.keyboard.press("Enter")
        admin_page.wait_for_url(f"{auth_server.url}/models/{name}")
        assert admin_page.get_by_role("status").inner_text() == f"Model {name} created."
        assert admin_page.get_by_role("heading", level=1).inner_text() == name

    def test_a_taken_name_is_refused_on_the_page(self, registry, admin_page) -> None:
        name, _ = registry.model("taken")
        admin_page.get_by_role("button", name="Create model").click()
        admin_page.get_by_label("Model name").fill(name)
        admin_page.get_by_role("button", name="Create", exact=True).click()
        assert "already exists" in admin_page.get_by_role("alert").inner_text()

    def test_registry_permissions_are_for_admins(self, registry, identities, admin_page, page_as) -> None:
        user = identities.user()
        dialog = admin_page.get_by_role("dialog", name="Registry-wide permissions")
        admin_page.get_by_role("button", name="Permissions").click()
        dialog.get_by_label("Type").select_option("user")
        dialog.get_by_label("Name").fill(user.name)
        dialog.get_by_label("Permission level").select_option("CAN_READ")
        dialog.get_by_role("button", name="Add permission").click()
        assert admin_page.get_by_role("status").inner_text() == f"{user.name} now has CAN_READ."
        admin_page.get_by_role("button", name="Permissions").click()
        check_page(admin_page, "models-registry-permissions")
        admin_page.get_by_role("button", name=f"Remove permissions of {user.name}").click()
        assert admin_page.get_by_role("status").inner_text() == f"Removed the permissions of {user.name}."

        reader = page_as(user.token)
        assert reader.get_by_role("button", name="Permissions").count() == 0
        assert reader.get_by_role("link", name="Admin").count() == 0
        # Not offered, and refused when posted anyway.
        r = reader.request.post("/permissions/registered-models/root", max_redirects=0,
                                form={"kind": "user", "principal": user.name, "level": "CAN_MANAGE",
                                      "csrf_token": csrf_of(reader)})
        assert r.status == 403

    def test_a_user_sees_only_models_they_may_read(self, registry, identities, page_as) -> None:
        mine, rm_id = registry.model("visible")
        hidden, _ = registry.model("hidden")
        user = identities.user()
        registry.grant(rm_id, user, "CAN_READ")
        page = page_as(user.token, f"/models?q={mine[:7]}")
        page.goto(f"/models?q={mine}")
        assert page.get_by_role("link", name=mine).is_visible()
        page.goto(f"/models?q={hidden}")
        assert page.get_by_role("link", name=hidden).count() == 0


class TestModelPage:
    def test_edit_description_and_tags(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("edit", versions=1)
        editor = identities.user()
        registry.grant(rm_id, editor, "CAN_EDIT")
        page = page_as(editor.token, f"/models/{name}")
        check_page(page, "model-page")
        page.get_by_role("button", name="Edit description").click()
        page.get_by_role("textbox", name="Description").fill("Scores card payments.")
        page.get_by_role("button", name="Save description").click()
        assert page.get_by_role("status").inner_text() == "Description saved."
        page.get_by_label("Key").fill("team")
        page.get_by_label("Value", exact=True).fill("risk")
        page.get_by_role("button", name="Add tag").click()
        page.get_by_label("Value of tag team").fill("fraud")
        page.get_by_role("button", name="Save tag team").click()
        model = rest(registry, "/registered-models/get", name=name)["registered_model"]
        assert model["description"] == "Scores card payments."
        assert model["tags"] == [{"key": "team", "value": "fraud"}]
        page.get_by_role("button", name="Delete tag team").click()
        assert "tags" not in rest(registry, "/registered-models/get", name=name)["registered_model"]
        # An editor may not rename, delete or manage permissions: not offered.
        for action in ("Rename", "Delete", "Permissions"):
            assert page.get_by_role("button", name=action, exact=True).count() == 0

    def test_a_reader_is_offered_no_change_and_refused_one(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("read", versions=1)
        reader = identities.user()
        registry.grant(rm_id, reader, "CAN_READ")
        page = page_as(reader.token, f"/models/{name}")
        for action in ("Edit description", "Add tag", "Rename", "Delete", "Permissions"):
            assert page.get_by_role("button", name=action, exact=True).count() == 0
        assert page.get_by_role("link", name="Version 1").is_visible()
        page.evaluate("""([path, csrf]) => {
            const f = document.createElement('form'); f.method = 'post'; f.action = path;
            for (const [k, v] of [['description', 'hacked'], ['csrf_token', csrf]]) {
              const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
            document.body.appendChild(f); f.submit(); }""", [f"/models/{name}/description", csrf_of(page)])
        page.wait_for_load_state()
        assert "PERMISSION_DENIED" not in page.get_by_role("alert").inner_text()
        assert "CAN_EDIT" in page.get_by_role("alert").inner_text()
        assert "description" not in rest(registry, "/registered-models/get", name=name)["registered_model"]

    def test_without_any_permission_the_page_is_403(self, registry, identities, page_as) -> None:
        name, _ = registry.model("private")
        stranger = identities.user()
        page = page_as(stranger.token)
        response = page.goto(f"/models/{name}")
        assert response.status == 403
        assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
        check_page(page, "error-403")

    def test_a_missing_model_is_404(self, admin_page) -> None:
        response = admin_page.goto(f"/models/missing-{uuid.uuid4().hex}")
        assert response.status == 404
        assert admin_page.get_by_role("heading", level=1).inner_text() == "Not found"

    def test_rename(self, registry, identities, page_as, auth_server) -> None:
        name, rm_id = registry.model("rename", versions=1)
        manager = identities.user()
        registry.grant(rm_id, manager, "CAN_MANAGE")
        page = page_as(manager.token, f"/models/{name}")
        page.get_by_role("button", name="Rename").click()
        page.get_by_label("New name").fill(name + "-new")
        page.get_by_role("button", name="Rename model").click()
        page.wait_for_url(f"{auth_server.url}/models/{name}-new")
        assert page.get_by_role("heading", level=1).inner_text() == name + "-new"

    def test_delete_is_refused_while_a_version_is_in_production(self, registry, admin_page, auth_server) -> None:
        name, _ = registry.model("delete", versions=1)
        registry.stage(name, "1", "Production")
        admin_page.goto(f"/models/{name}")
        admin_page.get_by_role("button", name="Delete", exact=True).click()
        admin_page.get_by_role("button", name="Delete model").click()
        alert = admin_page.get_by_role("alert").inner_text()
        assert "cannot be deleted" in alert and "Production" in alert and "Archived" in alert
        registry.stage(name, "1", "Archived")
        admin_page.get_by_role("button", name="Delete", exact=True).click()
        admin_page.get_by_role("button", name="Delete model").click()
        admin_page.wait_for_url(f"{auth_server.url}/models")
        assert admin_page.get_by_role("status").inner_text() == f"Model {name} deleted."
        assert registry.call("GET", "/registered-models/get", params={"name": name}).status_code == 404

    def test_permissions_dialog_grants_a_user_group_or_service_principal(
        self, registry, identities, page_as
    ) -> None:
        name, rm_id = registry.model("perm")
        manager, user, group, sp = identities.user(), identities.user(), identities.group(), identities.service_principal()
        registry.grant(rm_id, manager, "CAN_MANAGE")
        page = page_as(manager.token, f"/models/{name}")
        for kind, who, level in (("user", user, "CAN_READ"), ("group", group, "CAN_EDIT"),
                                 ("service_principal", sp, "CAN_MANAGE_STAGING_VERSIONS")):
            page.get_by_role("button", name="Permissions").click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_label("Type").select_option(kind)
            dialog.get_by_label("Name").fill(who.name)
            dialog.get_by_label("Permission level").select_option(level)
            dialog.get_by_role("button", name="Add permission").click()
            assert page.get_by_role("status").inner_text() == f"{who.name} now has {level}."
        acl = registry.call("GET", f"/registered-models/{rm_id}", prefix="/api/2.0/permissions").json()
        direct = {(e.get("user_name") or e.get("group_name") or e.get("service_principal_name")):
                  [p["permission_level"] for p in e["all_permissions"] if not p["inherited"]]
                  for e in acl["access_control_list"]}
        assert direct[user.name] == ["CAN_READ"]
        assert direct[group.name] == ["CAN_EDIT"]
        assert direct[sp.name] == ["CAN_MANAGE_STAGING_VERSIONS"]
        reader = page_as(user.token, f"/models/{name}")
        assert reader.get_by_role("heading", level=1).inner_text() == name

    def test_an_unknown_grantee_is_explained(self, registry, admin_page) -> None:
        name, _ = registry.model("perm-bad")
        admin_page.goto(f"/models/{name}")
        admin_page.get_by_role("button", name="Permissions").click()
        dialog = admin_page.get_by_role("dialog")
        dialog.get_by_label("Name").fill("nobody@example.com")
        dialog.get_by_role("button", name="Add permission").click()
        assert admin_page.get_by_role("alert").inner_text() == "User 'nobody@example.com' does not exist."

    def test_compare_selected_versions(self, registry, admin_page, auth_server) -> None:
        name, _ = registry.model("cmp", versions=3)
        admin_page.goto(f"/models/{name}")
        admin_page.get_by_label("Select version 1").check()
        admin_page.get_by_label("Select version 3").check()
        admin_page.get_by_role("button", name="Compare").click()
        admin_page.wait_for_url(re.compile(rf"/models/{name}/compare\?version=3&version=1$"))
        assert admin_page.get_by_role("heading", level=1).inner_text() == f"Compare versions of {name}"

    def test_model_links_go_to_versions(self, registry, admin_page, auth_server) -> None:
        name, _ = registry.model("links", versions=2)
        admin_page.goto(f"/models?q={name}")
        admin_page.get_by_role("link", name=name).click()
        admin_page.get_by_role("link", name="Version 2").click()
        admin_page.wait_for_url(f"{auth_server.url}/models/{name}/versions/2")
        assert admin_page.get_by_role("link", name=name).is_visible()


def test_signed_in_as_admin_token_sees_admin(admin_page) -> None:
    assert ADMIN_TOKEN not in admin_page.content()
