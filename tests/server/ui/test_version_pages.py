"""The version page and the Compare versions page in a real browser, on both databases: source run,
signature and files, the stage menu (Transition to / Request transition), the two-user request and
approval flow, reject and cancel, comments, aliases, tags, description, Delete, the comparison and its
plots, and keyboard reachability of the page's actions."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.fixtures.browser import check_page, csrf_of
from tests.fixtures.identities import ADMIN_TOKEN, workspace_client

MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"type": "double", "name": "amount", "required": true}, {"type": "string", "name": "country", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
"""


@pytest.fixture
def run_version(as_caller, registry):
    """run_version(name, params, metrics) -> (version, run_id, experiment_id): a version registered from a
    run (as the admin, with the mlflow client) whose model folder holds an MLmodel with a signature."""
    client = as_caller(ADMIN_TOKEN)
    experiment_id = client.create_experiment(f"ui-{uuid.uuid4().hex[:10]}")

    def make(name: str, params: dict[str, str], metrics: dict[str, float]) -> tuple[str, str, str]:
        run = client.create_run(experiment_id)
        run_id = run.info.run_id
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for key, value in metrics.items():
            client.log_metric(run_id, key, value)
        client.log_text(run_id, MLMODEL, "model/MLmodel")
        client.set_terminated(run_id)
        version = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        return str(version.version), run_id, experiment_id

    return make


def feed_text(page) -> str:
    return page.get_by_role("region", name="Activity").inner_text()


class TestVersionPage:
    def test_source_run_signature_and_files(self, registry, run_version, admin_page, auth_server) -> None:
        name, _ = registry.model("sig")
        version, run_id, experiment_id = run_version(name, {"alpha": "0.1"}, {"rmse": 0.5})
        admin_page.goto(f"/models/{name}/versions/{version}")
        link = admin_page.get_by_role("link", name=re.compile(r"\S"), exact=False).filter(
            has=admin_page.locator(f'xpath=self::a[contains(@href, "/runs/{run_id}")]'))
        assert link.get_attribute("href") == f"/experiments/{experiment_id}/runs/{run_id}"
        signature = admin_page.get_by_role("region", name="Signature")
        inputs = signature.get_by_role("table", name="Inputs").inner_text()
        assert "amount\tdouble" in inputs and "country\tstring" in inputs
        assert "long" in signature.get_by_role("table", name="Outputs").inner_text()
        files = admin_page.get_by_role("region", name="Files")
        href = files.get_by_role("link", name="MLmodel").get_attribute("href")
        assert "signature:" in admin_page.request.get(href).text()
        check_page(admin_page, "version-page")

    def test_files_stored_elsewhere_are_explained(self, registry, admin_page) -> None:
        name, _ = registry.model("ext", versions=1)
        admin_page.goto(f"/models/{name}/versions/1")
        assert "s3://bucket/model" in admin_page.get_by_role("region", name="Files").inner_text()
        assert "not stored by this server" in admin_page.get_by_role("region", name="Signature").inner_text()

    def test_a_reader_requests_and_a_manager_approves(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("flow", versions=2)
        registry.stage(name, "1", "Production")
        reader, manager = identities.user(), identities.user()
        registry.grant(rm_id, reader, "CAN_READ")
        registry.grant(rm_id, manager, "CAN_MANAGE_PRODUCTION_VERSIONS")

        asker = page_as(reader.token, f"/models/{name}/versions/2")
        assert asker.get_by_role("button", name="Transition to Production", exact=True).count() == 0
        asker.get_by_role("button", name="Request transition to Production").click()
        asker.get_by_role("dialog").get_by_label("Comment (optional)").fill("Beats v1 on recall.")
        asker.get_by_role("dialog").get_by_label("Transition existing Production versions to Archived").check()
        asker.get_by_role("button", name="Send request").click()
        assert asker.get_by_role("status").inner_text() == "Requested a transition to Production."
        pending = asker.get_by_role("region", name="Pending requests")
        assert reader.name in pending.inner_text() and "Beats v1 on recall." in pending.inner_text()
        assert "Asked to transition the existing Production versions to Archived." in pending.inner_text()
        assert pending.get_by_role("button", name="Approve").count() == 0
        assert pending.get_by_role("button", name="Cancel").count() == 1

        approver = page_as(manager.token, f"/models/{name}/versions/2")
        approver.get_by_role("button", name="Approve").click()
        dialog = approver.get_by_role("dialog", name="Approve the transition to Production")
        # The requester's wish is the approver's starting point.
        assert dialog.get_by_label("Transition existing Production versions to Archived").is_checked()
        dialog.get_by_label("Comment (optional)").fill("Approved after review.")
        check_page(approver, "version-approve-dialog")
        dialog.get_by_role("button", name="Confirm approval").click()
        assert approver.get_by_role("status").inner_text() == "Approved: version 2 is now in Production."

        asker.reload()
        assert asker.locator(".page-head .badge").first.inner_text() == "Production"
        feed = feed_text(asker)
        assert f"{reader.name} requested a transition from None to Production" in feed
        assert f"{manager.name} approved a transition from None to Production" in feed
        assert "Approved after review." in feed
        assert "No pending requests." in asker.get_by_role("region", name="Pending requests").inner_text()
        assert registry.current_stage(name, "1") == "Archived"
        asker.goto(f"/models/{name}/versions/1")
        assert "(system) moved this version from Production to Archived" in feed_text(asker)

    def test_the_archive_wish_is_the_requesters_and_the_approver_decides(
        self, auth_server, registry, identities, page_as
    ) -> None:
        name, rm_id = registry.model("wish", versions=3)
        registry.stage(name, "1", "Production")
        keen, cautious, manager = identities.user(), identities.user(), identities.user()
        for reader in (keen, cautious):
            registry.grant(rm_id, reader, "CAN_READ")
        registry.grant(rm_id, manager, "CAN_MANAGE_PRODUCTION_VERSIONS")
        for who, version, wish in ((keen, "2", True), (cautious, "3", False)):
            page = page_as(who.token, f"/models/{name}/versions/{version}")
            page.get_by_role("button", name="Request transition to Production").click()
            box = page.get_by_role("dialog").get_by_label("Transition existing Production versions to Archived")
            box.set_checked(wish)
            page.get_by_role("button", name="Send request").click()
            assert page.get_by_role("status").inner_text() == "Requested a transition to Production."

        # The databricks-sdk sees the wish as the open request's system comment (its wire has no such field).
        w = workspace_client(auth_server.url, manager.token)
        [keen_request] = w.model_registry.list_transition_requests(name, "2")
        [cautious_request] = w.model_registry.list_transition_requests(name, "3")
        assert keen_request.system_comment == "Asked to transition the existing Production versions to Archived."
        assert cautious_request.system_comment is None

        approver = page_as(manager.token, f"/models/{name}/versions/3")
        approver.get_by_role("button", name="Approve").click()
        dialog = approver.get_by_role("dialog", name="Approve the transition to Production")
        box = dialog.get_by_label("Transition existing Production versions to Archived")
        assert not box.is_checked()
        dialog.get_by_role("button", name="Confirm approval").click()
        assert registry.current_stage(name, "1") == "Production" and registry.current_stage(name, "3") == "Production"

        # The approver overrides the keen requester's wish: nothing is archived.
        approver.goto(f"/models/{name}/versions/2")
        approver.get_by_role("button", name="Approve").click()
        dialog = approver.get_by_role("dialog", name="Approve the transition to Production")
        dialog.get_by_label("Transition existing Production versions to Archived").uncheck()
        dialog.get_by_role("button", name="Confirm approval").click()
        assert [registry.current_stage(name, v) for v in "123"] == ["Production"] * 3
        assert "Asked to transition the existing Production versions to Archived." in feed_text(approver)

    def test_a_staging_manager_may_move_to_staging_and_must_request_production(
        self, registry, identities, page_as
    ) -> None:
        name, rm_id = registry.model("stg", versions=1)
        staging = identities.user()
        registry.grant(rm_id, staging, "CAN_MANAGE_STAGING_VERSIONS")
        page = page_as(staging.token, f"/models/{name}/versions/1")
        assert page.get_by_role("button", name="Transition to Staging").is_visible()
        assert page.get_by_role("button", name="Request transition to Production").is_visible()
        # Posting the direct move anyway is refused and changes nothing.
        r = page.request.post(f"/models/{name}/versions/1/transition", max_redirects=0,
                              form={"stage": "Production", "csrf_token": csrf_of(page)},
                              headers={"Referer": page.url})
        assert r.status == 303
        page.goto(r.headers["location"])
        alert = page.get_by_role("alert").inner_text()
        assert "may not transition" in alert and "a transition request can be created instead" in alert
        assert registry.current_stage(name, "1") == "None"
        page.get_by_role("button", name="Transition to Staging").click()
        page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
        assert page.get_by_role("status").inner_text() == "Version 1 is now in Staging."
        assert registry.current_stage(name, "1") == "Staging"

    def test_cancel_and_reject(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("rej", versions=1)
        reader, manager = identities.user(), identities.user()
        registry.grant(rm_id, reader, "CAN_READ")
        registry.grant(rm_id, manager, "CAN_MANAGE")
        asker = page_as(reader.token, f"/models/{name}/versions/1")
        asker.get_by_role("button", name="Request transition to Staging").click()
        asker.get_by_role("button", name="Send request").click()
        asker.get_by_role("button", name="Cancel").click()
        assert asker.get_by_role("status").inner_text() == "Cancelled the request to move to Staging."
        assert f"{reader.name} cancelled a request to transition to Staging" in feed_text(asker)
        asker.get_by_role("button", name="Request transition to Staging").click()
        asker.get_by_role("button", name="Send request").click()
        approver = page_as(manager.token, f"/models/{name}/versions/1")
        approver.get_by_role("button", name="Reject").click()
        assert approver.get_by_role("status").inner_text() == "Rejected the request to move to Staging."
        assert registry.open_requests(name, "1") == []
        assert registry.current_stage(name, "1") == "None"

    def test_comments_add_edit_delete(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("cmt", versions=1)
        author, other, manager = identities.user(), identities.user(), identities.user()
        registry.grant(rm_id, author, "CAN_READ")
        registry.grant(rm_id, other, "CAN_READ")
        registry.grant(rm_id, manager, "CAN_MANAGE")
        page = page_as(author.token, f"/models/{name}/versions/1")
        page.get_by_label("Comment", exact=True).fill("Looks good.")
        page.get_by_role("button", name="Add comment").click()
        assert "Looks good." in feed_text(page)
        page.get_by_role("button", name="Edit comment").click()
        page.get_by_role("dialog").get_by_label("Comment").fill("Looks good to me.")
        page.get_by_role("button", name="Save comment").click()
        assert "Looks good to me." in feed_text(page) and "(edited)" in feed_text(page)

        bystander = page_as(other.token, f"/models/{name}/versions/1")
        assert "Looks good to me." in feed_text(bystander)
        assert bystander.get_by_role("button", name="Edit comment").count() == 0
        assert bystander.get_by_role("button", name="Delete comment").count() == 0

        moderator = page_as(manager.token, f"/models/{name}/versions/1")
        assert moderator.get_by_role("button", name="Edit comment").count() == 0
        moderator.get_by_role("button", name="Delete comment").click()
        assert moderator.get_by_role("status").inner_text() == "Comment deleted."
        assert "Looks good to me." not in feed_text(moderator)

    def test_aliases_tags_and_description(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("alias", versions=2)
        registry.ok("POST", "/registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
        editor = identities.user()
        registry.grant(rm_id, editor, "CAN_EDIT")
        page = page_as(editor.token, f"/models/{name}/versions/2")
        page.get_by_role("textbox", name="Alias").fill("champion")
        page.get_by_role("button", name="Set alias").click()
        assert page.get_by_role("status").inner_text() == "@champion now points to version 2."
        got = registry.ok("GET", "/registered-models/alias", params={"name": name, "alias": "champion"})
        assert got["model_version"]["version"] == "2"
        page.get_by_role("button", name="Remove alias champion").click()
        assert "aliases" not in registry.ok("GET", "/registered-models/get", params={"name": name})["registered_model"]
        page.get_by_label("Key").fill("validated")
        page.get_by_role("button", name="Add tag").click()
        page.get_by_role("button", name="Edit description").click()
        page.get_by_role("textbox", name="Description").fill("Retrained on November data.")
        page.get_by_role("button", name="Save description").click()
        version = registry.ok("GET", "/model-versions/get", params={"name": name, "version": "2"})["model_version"]
        assert version["description"] == "Retrained on November data."
        assert version["tags"] == [{"key": "validated", "value": ""}]
        # An editor may not delete the version: not offered.
        assert page.get_by_role("button", name="Delete", exact=True).count() == 0

    def test_delete_version(self, registry, admin_page, auth_server) -> None:
        name, _ = registry.model("delv", versions=2)
        admin_page.goto(f"/models/{name}/versions/2")
        admin_page.get_by_role("button", name="Delete", exact=True).click()
        admin_page.get_by_role("button", name="Delete version").click()
        admin_page.wait_for_url(f"{auth_server.url}/models/{name}")
        assert admin_page.get_by_role("status").inner_text() == "Version 2 deleted."
        assert registry.call("GET", "/model-versions/get",
                             params={"name": name, "version": "2"}).status_code == 404

    def test_actions_are_reachable_by_keyboard(self, registry, admin_page) -> None:
        name, rm_id = registry.model("kbd", versions=1)
        asker = registry.person()
        registry.grant(rm_id, asker, "CAN_READ")
        registry.request(asker, name, "1", "Staging")
        admin_page.goto(f"/models/{name}/versions/1")
        reached = set()
        for _ in range(60):
            admin_page.keyboard.press("Tab")
            reached.add(admin_page.evaluate(
                "() => { const e = document.activeElement; return e.getAttribute('aria-label') || e.innerText || e.value || ''; }"
            ).strip())
        for action in ("Transition to Staging", "Transition to Production", "Transition to Archived", "Delete",
                       "Edit description", "Set alias", "Add tag", "Add comment"):
            assert action in reached, (action, sorted(reached))
        assert any(r.startswith("Approve the request") for r in reached)
        assert any(r.startswith("Reject the request") for r in reached)
        # A dialog opens from the keyboard and Escape closes it.
        admin_page.get_by_role("button", name="Transition to Production").focus()
        admin_page.keyboard.press("Enter")
        assert admin_page.get_by_role("dialog").is_visible()
        admin_page.keyboard.press("Escape")
        assert admin_page.get_by_role("dialog").count() == 0


class TestCompareVersions:
    def test_side_by_side_differences_and_plots(self, registry, run_version, admin_page, auth_server) -> None:
        name, _ = registry.model("cmp")
        for alpha, rmse in (("0.1", 0.5), ("0.2", 0.4), ("0.3", 0.45)):
            run_version(name, {"alpha": alpha, "solver": "lbfgs"}, {"rmse": rmse, "mae": rmse / 2})
        admin_page.goto(f"/models/{name}")
        for v in ("1", "2", "3"):
            admin_page.get_by_label(f"Select version {v}").check()
        admin_page.get_by_role("button", name="Compare").click()
        params = admin_page.get_by_role("region", name="Parameters")
        assert params.get_by_role("row", name=re.compile("^alpha")).inner_text().split("\t") == [
            "alpha", "0.3", "0.2", "0.1"]
        assert params.get_by_role("row", name=re.compile("^solver")).count() == 1
        metrics = admin_page.get_by_role("region", name="Metrics").inner_text()
        assert "rmse\t0.45\t0.4\t0.5" in metrics
        signatures = admin_page.get_by_role("region", name="Signatures").inner_text()
        assert "amount: double, country: string" in signatures
        admin_page.locator("#plot-scatter .main-svg").first.wait_for()
        admin_page.locator("#plot-contour .contour").first.wait_for(state="attached")
        admin_page.locator("#plot-parallel .parcoords").first.wait_for(state="attached")
        check_page(admin_page, "compare-versions")

        admin_page.get_by_label("Show differences only").check()
        admin_page.wait_for_url(re.compile(r"diff=1"))
        params = admin_page.get_by_role("region", name="Parameters")
        assert params.get_by_role("row", name=re.compile("^solver")).count() == 0
        assert params.get_by_role("row", name=re.compile("^alpha")).count() == 1
        assert "No differences." in admin_page.get_by_role("region", name="Signatures").inner_text()

        admin_page.get_by_label("Y axis").select_option("metric: mae")
        title = admin_page.locator("#plot-scatter .ytitle").text_content()
        assert title == "metric: mae"

    def test_too_few_numbers_to_plot_says_so(self, registry, admin_page) -> None:
        name, _ = registry.model("cmp-empty", versions=2)
        admin_page.goto(f"/models/{name}/compare?version=1&version=2")
        assert "Nothing to plot." in admin_page.get_by_role("region", name="Plots").inner_text()

    def test_comparing_nothing_is_explained(self, registry, admin_page) -> None:
        name, _ = registry.model("cmp-none", versions=1)
        admin_page.goto(f"/models/{name}")
        admin_page.get_by_role("button", name="Compare").click()
        assert admin_page.get_by_role("heading", level=1).inner_text() == "That did not work"
        assert "Select two or more versions to compare." in admin_page.locator("main").inner_text()
