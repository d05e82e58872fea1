"""Admin › Webhooks in a real browser, on both databases: both kinds of webhook listed with their status
(changed and deleted from the page), the delivery log filtered to a failed delivery, Replay that delivers
it to a real receiver, and no page nor action for a non-admin."""

from __future__ import annotations

import re
import uuid

import httpx
from databricks.sdk.service.ml import HttpUrlSpec, RegistryWebhookEvent
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus

from tests.fixtures.browser import check_page, csrf_of, focus_by_tab
from tests.fixtures.identities import workspace_client
from tests.server.events.conftest import EVENTS_ENV, events_server, receiver  # noqa: F401  # fixtures
from tests.server.events.receivers import Plan, wait_until

LOG = "/api/2.0/regista/webhooks/deliveries"


def row_of(page, text: str):
    return page.get_by_role("row").filter(has_text=text)


def failed_delivery(server, http_receiver, prefix: str):
    """A webhook whose receiver answers 410 (final at once; a replay then gets a 200), and its delivery of
    one new model, once the log shows it FAILED. Returns (webhook, receiver path)."""
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    path = f"/{prefix}-gone-{uuid.uuid4().hex[:8]}"
    http_receiver.plans[path] = Plan(answers=[(410, {})])
    hook = client.create_webhook(f"{prefix}-{uuid.uuid4().hex[:8]}", http_receiver.url + path,
                                 [WebhookEvent("registered_model", "created")])
    client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}")
    wait_until(lambda: [d for d in httpx.get(server.url + LOG, params={"webhook_id": hook.webhook_id})
                        .json().get("deliveries", []) if d["state"] == "FAILED"] or None,
               what="the failed delivery")
    return hook, path


class TestWebhooksPage:
    def test_a_delivery_is_found_and_replayed_with_the_keyboard(  # noqa: F811
        self, events_server, receiver, open_page,  # noqa: F811
    ) -> None:
        hook, path = failed_delivery(events_server, receiver, "kb")
        page = open_page(events_server.url)
        page.goto("/admin/webhooks")
        focus_by_tab(page, "Webhook ID", presses=600)  # past every webhook's status form
        page.keyboard.type(hook.webhook_id)
        page.keyboard.press("Enter")
        page.wait_for_url(f"**webhook_id={hook.webhook_id}**")
        # The filtered log holds this webhook's one delivery.
        checkbox = page.get_by_label(re.compile(r"^Select delivery ")).get_attribute("aria-label")
        focus_by_tab(page, checkbox, presses=600)
        page.keyboard.press("Space")
        focus_by_tab(page, "Replay selected")
        page.keyboard.press("Enter")
        assert page.get_by_role("status").inner_text() == "1 delivery queued again."
        receiver.wait_for(path, 2)

    def test_webhooks_are_paged_each_list_on_its_own(self, events_server, open_page) -> None:  # noqa: F811
        client = MlflowClient(tracking_uri=events_server.url, registry_uri=events_server.url)
        mine = [client.create_webhook(f"pg-{i:02d}-{uuid.uuid4().hex[:6]}", "https://example.org/hook",
                                      [WebhookEvent("registered_model", "created")], status=WebhookStatus.DISABLED)
                for i in range(55)]
        try:
            page = open_page(events_server.url)
            page.goto("/admin/webhooks")
            seen: list[str] = []
            pages = 0
            while True:
                pages += 1
                table = page.get_by_role("region", name="MLflow webhooks").get_by_role("table")
                seen += [r.get_by_role("cell").first.inner_text() for r in table.get_by_role("row").all()[1:]]
                pager = page.get_by_role("navigation", name="MLflow webhook pages")
                following = pager.get_by_role("link", name="Next page")
                if following.count() == 0:
                    break
                following.click()
            names = [h.name for h in mine]
            assert pages >= 2 and all(seen.count(n) == 1 for n in names)
            assert len(seen) == len(set(seen))
            # Paging one list leaves the other lists on their first page.
            assert page.get_by_role("navigation", name="MLflow webhook pages").get_by_role(
                "link", name="First page").count() == 1
            assert page.get_by_role("navigation", name="Delivery log pages").get_by_role(
                "link", name="First page").count() == 0
        finally:
            for hook in mine:
                client.delete_webhook(hook.webhook_id)

    def test_a_failed_delivery_is_found_and_replayed(self, events_server, receiver, open_page) -> None:  # noqa: F811
        assert EVENTS_ENV["REGISTA_WEBHOOK_ALLOW_PRIVATE"] == "true"
        hook, path = failed_delivery(events_server, receiver, "ui")

        page = open_page(events_server.url)
        page.goto("/admin/webhooks")
        assert row_of(page, hook.name).count() == 1
        page.get_by_label("State").select_option("FAILED")
        page.get_by_label("Webhook ID").fill(hook.webhook_id)
        page.get_by_role("button", name="Filter").click()
        deliveries = page.get_by_role("table", name="Deliveries, newest first")
        [cells] = [[c.inner_text() for c in r.get_by_role("cell").all()]
                   for r in deliveries.get_by_role("row").all()[1:]]
        assert cells[2:7] == ["registered_model.created", f"webhook {hook.webhook_id}", "FAILED", "1",
                              "410 HTTP 410"]
        check_page(page, "admin-webhooks-" + events_server.backend, themes=("light",))

        page.get_by_label(re.compile(r"^Select delivery ")).check()
        page.get_by_role("button", name="Replay selected").click()
        assert page.get_by_role("status").inner_text() == "1 delivery queued again."
        receiver.wait_for(path, 2)
        wait_until(lambda: httpx.get(events_server.url + LOG, params={"webhook_id": hook.webhook_id})
                   .json()["deliveries"][0]["state"] == "SUCCEEDED" or None, what="the replayed delivery")
        page.get_by_label("State").select_option("SUCCEEDED")
        page.get_by_role("button", name="Filter").click()
        assert "SUCCEEDED" in row_of(page, f"webhook {hook.webhook_id}").inner_text()

    def test_status_change_and_delete_from_the_page(self, events_server, receiver, open_page) -> None:  # noqa: F811
        sdk = workspace_client(events_server.url, "unused")
        registry_hook = sdk.model_registry.create_webhook(
            events=[RegistryWebhookEvent.MODEL_VERSION_CREATED], description="ui",
            http_url_spec=HttpUrlSpec(url=f"{receiver.url}/ui-status")).webhook
        client = MlflowClient(tracking_uri=events_server.url, registry_uri=events_server.url)
        mlflow_hook = client.create_webhook(f"ui-{uuid.uuid4().hex[:8]}", f"{receiver.url}/ui-del",
                                            [WebhookEvent("model_version", "created")])
        page = open_page(events_server.url)
        page.goto("/admin/webhooks")
        page.get_by_label(f"Status of webhook {registry_hook.id}", exact=True).select_option("DISABLED")
        page.get_by_role("button", name=f"Set status of webhook {registry_hook.id}").click()
        assert page.get_by_role("status").inner_text() == f"Webhook {registry_hook.id} is now DISABLED."
        [listed] = [w for w in sdk.model_registry.list_webhooks() if w.id == registry_hook.id]
        assert listed.status.value == "DISABLED"

        page.get_by_role("button", name=f"Delete webhook {mlflow_hook.name}").click()
        assert page.get_by_role("status").inner_text() == f"Webhook {mlflow_hook.webhook_id} deleted."
        assert row_of(page, mlflow_hook.name).count() == 0
        assert mlflow_hook.webhook_id not in [w.webhook_id for w in client.list_webhooks()]

    def test_replay_without_a_choice_is_explained(self, events_server, open_page) -> None:  # noqa: F811
        page = open_page(events_server.url)
        page.goto("/admin/webhooks")
        refused = page.request.post("/admin/webhooks/deliveries/replay", form={"csrf_token": csrf_of(page)})
        assert refused.status == 400 and "ids of the deliveries" in refused.text()


class TestNotForNonAdmins:
    def test_no_page_and_no_action(self, identities, page_as) -> None:
        user = identities.user()
        page = page_as(user.token)
        assert page.goto("/admin/webhooks").status == 403
        refused = page.request.post("/admin/webhooks/deliveries/replay",
                                    form={"csrf_token": csrf_of(page), "state": "FAILED", "matching": "1"})
        assert refused.status == 403
