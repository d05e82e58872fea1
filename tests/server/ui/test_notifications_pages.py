"""E-mail notification settings and the version page's follow status and lineage, in a real browser on both
databases: the model page's "Notify me about" menu, the settings switch for every registry e-mail (each
checked through the REST API the Databricks UI uses), a version followed after a comment, and the source
run's datasets shown as the version's lineage."""

from __future__ import annotations

import time
import uuid

import pandas as pd

from tests.fixtures.browser import check_page, csrf_of
from tests.fixtures.identities import ADMIN_TOKEN

NOTIFY = "/email-notifications/registry"


def model_level(registry, name: str, token: str) -> str:
    body = registry.ok("GET", NOTIFY + "/get-subscription-status", params={"model_name": name}, token=token)
    return str(body["subscription_type"])


class TestNotifyMeAbout:
    def test_a_reader_chooses_a_level_for_themself(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("notify", versions=1)
        reader = identities.user()
        registry.grant(rm_id, reader, "CAN_READ")
        page = page_as(reader.token, f"/models/{name}")
        menu = page.get_by_label("Notify me about")
        assert menu.input_value() == "DEFAULT"  # not the creator: versions they follow
        menu.select_option(label="Mute notifications")
        page.get_by_role("button", name="Save notifications").click()
        assert page.get_by_role("status").inner_text() == f"E-mail notifications for {name}: Mute notifications."
        assert page.get_by_label("Notify me about").input_value() == "UNSUBSCRIBED"
        assert model_level(registry, name, reader.token) == "UNSUBSCRIBED"
        # The reader's choice is theirs alone: the admin's level for the model did not move.
        assert model_level(registry, name, ADMIN_TOKEN) != "UNSUBSCRIBED"

    def test_someone_who_may_not_read_the_model_cannot_set_a_level(self, registry, identities, page_as) -> None:
        name, _ = registry.model("notify")
        stranger = identities.user()
        page = page_as(stranger.token, "/models")
        refused = page.request.post(f"/models/{name}/notifications",
                                    form={"level": "ALL_EVENTS", "csrf_token": csrf_of(page)})
        assert refused.status == 403
        assert registry.call("GET", NOTIFY + "/get-subscription-status", params={"model_name": name},
                             token=stranger.token).status_code == 403

    def test_an_unknown_level_is_explained_and_changes_nothing(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("notify")
        reader = identities.user()
        registry.grant(rm_id, reader, "CAN_READ")
        page = page_as(reader.token, f"/models/{name}")
        refused = page.request.post(f"/models/{name}/notifications",
                                    form={"level": "EVERYTHING", "csrf_token": csrf_of(page)})
        assert refused.status == 400 and "subscription_type" in refused.text()
        assert model_level(registry, name, reader.token) == "DEFAULT"


class TestSettingsSwitch:
    def test_turning_every_registry_email_off_and_on(self, registry, identities, page_as) -> None:
        user = identities.user()
        page = page_as(user.token, "/settings")
        switch = page.get_by_label("Model Registry email notifications")
        assert switch.is_checked()
        switch.uncheck()
        page.get_by_role("button", name="Save notifications").click()
        assert page.get_by_role("status").inner_text() == "Model Registry e-mail notifications off."
        assert not page.get_by_label("Model Registry email notifications").is_checked()
        level = registry.ok("GET", NOTIFY + "/get-user-level-subscription-status", token=user.token)
        assert level["subscription_type"] == "UNSUBSCRIBED"
        check_page(page, "settings-notifications-" + registry.identities.engine.dialect.name, themes=("light",))
        page.get_by_label("Model Registry email notifications").check()
        page.get_by_role("button", name="Save notifications").click()
        assert page.get_by_label("Model Registry email notifications").is_checked()
        level = registry.ok("GET", NOTIFY + "/get-user-level-subscription-status", token=user.token)
        assert level["subscription_type"] == "SUBSCRIBED"


class TestFollowStatusAndLineage:
    def test_commenting_on_a_version_follows_it(self, registry, identities, page_as) -> None:
        name, rm_id = registry.model("follow", versions=2)
        reader = identities.user()
        registry.grant(rm_id, reader, "CAN_READ")
        page = page_as(reader.token, f"/models/{name}/versions/1")
        assert "Not following" in follow_status(page)
        page.get_by_label("Comment", exact=True).fill("watching this one")
        page.get_by_role("button", name="Add comment").click()
        # The dispatcher records the follow once it reads the comment's event (about a second).
        deadline = time.monotonic() + 30
        while "Not following" in follow_status(page) and time.monotonic() < deadline:
            time.sleep(0.5)
            page.reload()
        assert follow_status(page).startswith("Following")
        page.goto(f"/models/{name}/versions/2")
        assert "Not following" in follow_status(page)

    def test_the_source_runs_datasets_are_the_versions_lineage(self, as_caller, registry, admin_page) -> None:
        import mlflow

        client = as_caller(ADMIN_TOKEN)
        experiment_id = client.create_experiment(f"lineage-{uuid.uuid4().hex[:8]}")
        mlflow.set_experiment(experiment_id=experiment_id)
        dataset = mlflow.data.from_pandas(pd.DataFrame({"amount": [1.0, 2.0]}), source="https://data.example.com/transactions.csv",
                                          name="transactions")
        with mlflow.start_run() as run:
            mlflow.log_input(dataset, context="training")
        name, _ = registry.model("lineage")
        version = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        admin_page.goto(f"/models/{name}/versions/{version.version}")
        lineage = admin_page.get_by_role("region", name="Lineage")
        rows = [[c.inner_text() for c in r.get_by_role("cell").all()] for r in lineage.get_by_role("row").all()[1:]]
        assert len(rows) == 1
        named, context, source_type, source, digest = rows[0]
        assert (named, context, source_type, digest) == ("transactions", "training", "http", dataset.digest)
        assert "https://data.example.com/transactions.csv" in source
        # A version without a source run says how to record lineage.
        bare, _ = registry.model("lineage", versions=1)
        admin_page.goto(f"/models/{bare}/versions/1")
        assert "mlflow.log_input" in admin_page.get_by_role("region", name="Lineage").inner_text()


def follow_status(page) -> str:
    return page.locator("dt:text-is('Follow status') + dd").inner_text()
