"""Settings (personal access tokens: Generate new token shows the value once, list, Revoke) and Admin
(users, groups, service principals: create, deactivate, membership) in a real browser, on both
databases; what a non-admin may not do is absent and refused."""

from __future__ import annotations

import uuid

import httpx

from tests.fixtures.browser import check_page, csrf_of
from tests.fixtures.identities import ADMIN_TOKEN

SEARCH = "/api/2.0/mlflow/experiments/search"


def works(auth_server, token: str) -> bool:
    response = httpx.get(auth_server.url + SEARCH, params={"max_results": 1},
                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


class TestSettings:
    def test_generate_list_and_revoke_a_token(self, auth_server, identities, page_as) -> None:
        user = identities.user()
        page = page_as(user.token, "/settings")
        comment = f"ci-{uuid.uuid4().hex[:6]}"
        page.get_by_role("button", name="Generate new token").click()
        dialog = page.get_by_role("dialog", name="Generate new token")
        dialog.get_by_label("Comment").fill(comment)
        dialog.get_by_label("Lifetime in days (empty: no expiry)").fill("7")
        dialog.get_by_role("button", name="Generate").click()
        value = page.locator("#new-token-value").inner_text()
        assert value.startswith("dapi") and "shown only this once" in page.get_by_role("status").inner_text()
        assert value not in page.url
        assert works(auth_server, value)
        row = page.get_by_role("row").filter(has_text=comment)
        assert row.count() == 1
        check_page(page, "settings-" + auth_server.backend)

        page.goto("/settings")
        assert value not in page.content()
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name=f"Revoke token {comment}").click()
        assert page.get_by_role("status").inner_text() == "Token revoked."
        assert page.get_by_role("row").filter(has_text=comment).count() == 0
        assert not works(auth_server, value)

    def test_another_users_token_cannot_be_revoked(self, auth_server, identities, page_as) -> None:
        owner, other = identities.user(), identities.user()
        owner_page = page_as(owner.token, "/settings")
        owner_page.get_by_role("button", name="Generate new token").click()
        owner_page.get_by_role("dialog").get_by_role("button", name="Generate").click()
        value = owner_page.locator("#new-token-value").inner_text()
        token_id = owner_page.get_by_role("row").nth(1).get_by_role("cell").nth(1).inner_text()

        page = page_as(other.token, "/settings")
        assert token_id not in page.content()
        refused = page.request.post(f"/settings/tokens/{token_id}/revoke", form={"csrf_token": csrf_of(page)},
                                    max_redirects=0)
        assert refused.status == 404 and "does not exist" in refused.text()
        assert works(auth_server, value)

    def test_a_bad_lifetime_is_explained_and_creates_nothing(self, identities, page_as) -> None:
        user = identities.user()
        page = page_as(user.token, "/settings")
        before = page.get_by_role("row").count()
        refused = page.request.post("/settings/tokens", form={"csrf_token": csrf_of(page), "lifetime_days": "-3"},
                                    max_redirects=0)
        assert refused.status == 400 and "lifetime_days" in refused.text()
        page.reload()
        assert page.get_by_role("row").count() == before


class TestAdmin:
    def test_users_create_and_deactivate(self, auth_server, identities, admin_page) -> None:
        tag = uuid.uuid4().hex[:8]
        name = f"new-{tag}@example.com"
        admin_page.goto(f"/admin?q={tag}")
        admin_page.get_by_role("button", name="Create user").click()
        admin_page.get_by_role("dialog", name="Create user").get_by_label("User name (e-mail)").fill(name)
        admin_page.get_by_role("dialog", name="Create user").get_by_role("button", name="Create").click()
        assert admin_page.get_by_role("status").inner_text() == f"User {name} created."
        assert "Active" in admin_page.get_by_role("row").filter(has_text=name).inner_text()
        check_page(admin_page, "admin-" + auth_server.backend)

        existing = identities.user()
        assert works(auth_server, existing.token)
        admin_page.get_by_label("Search users, groups and service principals").fill(existing.name)
        admin_page.get_by_role("button", name="Search", exact=True).click()
        admin_page.get_by_role("button", name=f"Deactivate {existing.name}").click()
        assert admin_page.get_by_role("status").inner_text() == f"{existing.name} deactivated."
        assert not works(auth_server, existing.token)
        admin_page.get_by_role("button", name=f"Activate {existing.name}").click()
        assert works(auth_server, existing.token)

    def test_groups_and_membership(self, identities, admin_page) -> None:
        group = f"team-{uuid.uuid4().hex[:8]}"
        admin_page.goto(f"/admin?q={group}")
        admin_page.get_by_role("button", name="Create group").click()
        admin_page.get_by_role("dialog", name="Create group").get_by_label("Group name").fill(group)
        admin_page.get_by_role("dialog", name="Create group").get_by_role("button", name="Create").click()
        assert admin_page.get_by_role("status").inner_text() == f"Group {group} created."
        member = identities.user()
        card = admin_page.locator(".group-card").filter(has=admin_page.get_by_role("heading", name=group))
        card.get_by_label("Member name").fill(member.name)
        card.get_by_role("button", name=f"Add member to {group}").click()
        assert admin_page.get_by_role("status").inner_text() == f"{member.name} added to {group}."
        assert admin_page.get_by_role("list", name=group).inner_text().count(member.name) == 1
        admin_page.get_by_role("button", name=f"Remove {member.name} from {group}").click()
        assert admin_page.get_by_role("status").inner_text() == f"{member.name} removed from {group}."
        assert admin_page.get_by_role("list", name=group).count() == 0

    def test_adding_someone_who_does_not_exist_is_explained(self, admin_page) -> None:
        group = f"empty-{uuid.uuid4().hex[:8]}"
        admin_page.goto(f"/admin?q={group}")
        admin_page.get_by_role("button", name="Create group").click()
        admin_page.get_by_role("dialog", name="Create group").get_by_label("Group name").fill(group)
        admin_page.get_by_role("dialog", name="Create group").get_by_role("button", name="Create").click()
        card = admin_page.locator(".group-card").filter(has=admin_page.get_by_role("heading", name=group))
        card.get_by_label("Member name").fill("nobody@example.com")
        card.get_by_role("button", name=f"Add member to {group}").click()
        assert "nobody@example.com" in admin_page.get_by_role("alert").inner_text()

    def test_service_principals_create_and_deactivate(self, auth_server, identities, admin_page) -> None:
        display = f"ci-bot-{uuid.uuid4().hex[:6]}"
        admin_page.goto(f"/admin?q={display}")
        admin_page.get_by_role("button", name="Create service principal").click()
        dialog = admin_page.get_by_role("dialog", name="Create service principal")
        dialog.get_by_label("Display name").fill(display)
        dialog.get_by_role("button", name="Create").click()
        assert f"Service principal {display} created" in admin_page.get_by_role("status").inner_text()
        assert "Active" in admin_page.get_by_role("row").filter(has_text=display).inner_text()
        admin_page.get_by_role("button", name=f"Deactivate {display}").click()
        assert "Deactivated" in admin_page.get_by_role("row").filter(has_text=display).inner_text()

        robot = identities.service_principal()
        admin_page.goto(f"/admin?q={robot.name}")
        admin_page.get_by_role("button", name=f"Deactivate {robot.name}").click()
        assert not works(auth_server, robot.token)

    def test_a_non_admin_has_no_admin_page_and_cannot_act(self, identities, page_as, admin_page) -> None:
        user = identities.user()
        page = page_as(user.token, "/models")
        assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").count() == 0
        response = page.goto("/admin")
        assert response.status == 403 and page.get_by_role("heading", level=1).inner_text() == "Not allowed"
        name = f"sneaky-{uuid.uuid4().hex[:6]}@example.com"
        page.goto("/settings")
        refused = page.request.post("/admin/users", form={"csrf_token": csrf_of(page), "user_name": name},
                                    max_redirects=0)
        assert refused.status == 403
        admin_page.goto("/admin")
        assert name not in admin_page.content()

    def test_each_section_is_paged_on_its_own(self, auth_server, admin_page) -> None:
        tag = uuid.uuid4().hex[:8]
        scim = f"{auth_server.url}/api/2.0/preview/scim/v2/ServicePrincipals"
        with httpx.Client(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
            made = [client.post(scim, json={"displayName": f"pager-{tag}-{i:02d}"}).raise_for_status().json()
                    for i in range(57)]
        admin_page.goto(f"/admin?q=pager-{tag}")
        section = admin_page.get_by_role("region", name="Service principals")
        assert "Showing 1–50 of 57." in section.inner_text()
        seen: list[str] = []
        while True:
            seen += [r.get_by_role("cell").first.inner_text()
                     for r in section.get_by_role("table").get_by_role("row").all()[1:]]
            following = section.get_by_role("navigation", name="Service principal pages").get_by_role(
                "link", name="Next page")
            if following.count() == 0:
                break
            following.click()
        assert seen == sorted(sp["displayName"] for sp in made)
        assert "Showing 51–57 of 57." in section.inner_text()
        # Paging one section leaves the others on their first page, and an action returns to this page.
        assert admin_page.get_by_role("navigation", name="User pages").count() == 0
        last = made[-1]["displayName"]
        section.get_by_role("button", name=f"Deactivate {last}").click()
        assert admin_page.get_by_role("status").inner_text() == f"{last} deactivated."
        assert "sps_start=51" in admin_page.url and "Deactivated" in section.get_by_role("row").filter(
            has_text=last).inner_text()
        section.get_by_role("link", name="Previous page").click()
        assert "Showing 1–50 of 57." in section.inner_text()

        # Users and groups have none matching: each section says so instead of an empty table.
        for plural in ("users", "groups"):
            assert f"No {plural} match “pager-{tag}”." in admin_page.get_by_role(
                "region", name=plural.capitalize()).inner_text()

        for bad in ("0", "-1", "x", "99999999999"):
            response = admin_page.goto(f"/admin?sps_start={bad}")
            assert response.status == 400 and "sps_start" in admin_page.content()

    def test_admin_actions_are_reachable_by_keyboard(self, admin_page) -> None:
        admin_page.goto("/admin")
        reached = set()
        for _ in range(40):
            admin_page.keyboard.press("Tab")
            reached.add(admin_page.evaluate(
                "() => { const e = document.activeElement; return e.getAttribute('aria-label') || e.innerText || e.value || ''; }"
            ).strip())
        for action in ("Create user", "Users", "Groups", "Service principals"):
            assert action in reached, (action, reached)
