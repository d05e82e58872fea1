"""E-mail notifications through a real SMTP server (aiosmtpd): levels per user and model, following a
version by acting on it, the creator's default, the user and server switches, the daily cap (20 + one
"limit reached"), and the settings API and CLI."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.identities import ADMIN_TOKEN, IdentityFactory
from tests.fixtures.live_server import start_server
from tests.fixtures.wire import assert_error
from tests.server.events.conftest import EVENTS_ENV
from tests.server.events.receivers import wait_until

API = "/api/2.0/mlflow"
SETTINGS = API + "/email-notifications/registry"
LOG = "/api/2.0/regista/webhooks/deliveries"


class Api:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, token: str = ADMIN_TOKEN, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                             **kwargs)

    def ok(self, method: str, path: str, token: str = ADMIN_TOKEN, **kwargs: Any) -> dict[str, Any]:
        r = self.call(method, path, token, **kwargs)
        assert r.status_code == 200, r.text
        return r.json()

    def model(self, token: str = ADMIN_TOKEN) -> tuple[str, int]:
        name = f"n-{uuid.uuid4().hex[:8]}"
        self.ok("POST", API + "/registered-models/create", token, json={"name": name})
        rm = self.ok("GET", API + "/databricks/registered-models/get", params={"name": name})
        return name, int(rm["registered_model_databricks"]["id"])

    def version(self, name: str) -> str:
        body = self.ok("POST", API + "/model-versions/create", json={"name": name, "source": "s3://b/m"})
        return str(body["model_version"]["version"])

    def level(self, token: str, model: str, level: str) -> None:
        self.ok("POST", SETTINGS + "/set-subscription-status", token,
                json={"model_name": model, "subscription_type": level})

    def comment(self, name: str, version: str, text: str, token: str = ADMIN_TOKEN) -> None:
        self.ok("POST", API + "/comments/create", token, json={"name": name, "version": version, "comment": text})

    def transition(self, name: str, version: str, stage: str, token: str = ADMIN_TOKEN) -> None:
        self.ok("POST", API + "/databricks/model-versions/transition-stage", token,
                json={"name": name, "version": version, "stage": stage, "archive_existing_versions": False})

    def emails_to(self, address: str) -> list[dict[str, Any]]:
        rows = self.ok("GET", LOG, params={"channel": "email", "max_results": 1000})["deliveries"]
        return [d for d in rows if d.get("recipient") == address]


@pytest.fixture(scope="module")
def api(events_auth_server) -> Api:
    return Api(events_auth_server.url)


def reader(identities: IdentityFactory, rm_id: int, level: str = "CAN_READ"):
    user = identities.user()
    identities.grant("registered-models", rm_id, user, level)
    return user


def subjects(smtp, address: str) -> list[str]:
    return [m["Subject"] for m in smtp.to(address)]


class TestLevels:
    def test_all_events_gets_every_kind(self, api, smtp, events_identities):
        name, rm_id = api.model()
        user = reader(events_identities, rm_id)
        api.level(user.token, name, "ALL_EVENTS")
        version = api.version(name)
        api.ok("POST", API + "/transition-requests/create", json={"name": name, "version": version,
                                                                   "stage": "Staging"})
        api.transition(name, version, "Staging")
        api.comment(name, version, "shipped")
        mails = wait_until(lambda: smtp.to(user.name) if len(smtp.to(user.name)) >= 4 else None, what="4 e-mails")
        assert sorted(m["Subject"] for m in mails) == sorted([
            f"[regista] New version: {name} version 1", f"[regista] Transition requested: {name} version 1",
            f"[regista] Stage transition: {name} version 1", f"[regista] New comment: {name} version 1"])
        comment = next(m for m in mails if "New comment" in m["Subject"])
        text = comment.get_content()
        assert "admin commented on registered model" in text and "shipped" in text
        assert f"https://regista.test/#/models/{name}/versions/1" in text
        assert comment["From"] == "registry@regista.test"

    def test_acting_on_a_version_follows_it(self, api, smtp, events_identities):
        name, rm_id = api.model()
        api.version(name)
        follower = reader(events_identities, rm_id)
        api.comment(name, "1", "I care about v1", token=follower.token)
        api.version(name)  # version 2: not followed
        api.transition(name, "1", "Production")
        mails = wait_until(lambda: smtp.to(follower.name) or None, what="the transition e-mail")
        assert [m["Subject"] for m in mails] == [f"[regista] Stage transition: {name} version 1"]
        # Events are dispatched in order: version 2's was handled before the transition's, and sent nothing.
        assert [d["event"] for d in api.emails_to(follower.name)] == ["MODEL_VERSION_TRANSITIONED_STAGE"]

    def test_muted_model_and_user_switch_send_nothing(self, api, smtp, events_identities):
        name, rm_id = api.model()
        api.version(name)
        muted, off, watcher = (reader(events_identities, rm_id) for _ in range(3))
        # Each follows version 1 by commenting, then silences itself before anyone else acts.
        api.comment(name, "1", "following", token=muted.token)
        api.level(muted.token, name, "UNSUBSCRIBED")
        api.comment(name, "1", "following", token=off.token)
        api.ok("POST", SETTINGS + "/set-user-level-subscription-status", off.token,
               json={"subscription_type": "UNSUBSCRIBED"})
        api.comment(name, "1", "following", token=watcher.token)
        api.comment(name, "1", "news")
        wait_until(lambda: smtp.to(watcher.name) or None, what="the watcher's e-mail")
        assert api.emails_to(muted.name) == [] and api.emails_to(off.name) == []

    def test_the_creator_starts_at_all_events(self, api, events_identities):
        creator = events_identities.user()
        events_identities.grant("registered-models", "root", creator, "CAN_CREATE_REGISTERED_MODEL")
        name, _ = api.model(token=creator.token)

        def level() -> str | None:
            got = api.ok("GET", SETTINGS + "/get-subscription-status", creator.token, params={"model_name": name})
            return got["subscription_type"] if got["subscription_type"] == "ALL_EVENTS" else None

        assert wait_until(level, what="the creator's level") == "ALL_EVENTS"


class TestDailyCap:
    def test_twenty_then_one_limit_mail(self, api, smtp, events_identities):
        name, rm_id = api.model()
        user = reader(events_identities, rm_id)
        api.level(user.token, name, "ALL_EVENTS")
        for _ in range(25):
            api.version(name)
        api.comment(name, "1", "sentinel")  # another event type: its own cap
        wait_until(lambda: any("New comment" in s for s in subjects(smtp, user.name)) or None, what="sentinel")
        wait_until(lambda: len(smtp.to(user.name)) >= 22 or None, what="22 e-mails")
        got = subjects(smtp, user.name)
        assert sum(s.startswith("[regista] New version:") for s in got) == 20
        assert sum(s.startswith("[regista] Daily limit reached") for s in got) == 1
        assert len(got) == 22 and len(api.emails_to(user.name)) == 22


class TestSettingsApi:
    def test_defaults_set_and_refusals(self, api, events_identities):
        name, rm_id = api.model()
        user = reader(events_identities, rm_id)
        get = SETTINGS + "/get-subscription-status"
        assert api.ok("GET", get, user.token, params={"model_name": name}) == {"subscription_type": "DEFAULT"}
        api.level(user.token, name, "UNSUBSCRIBED")
        assert api.ok("GET", get, user.token, params={"model_name": name}) == {"subscription_type": "UNSUBSCRIBED"}
        user_level = SETTINGS + "/get-user-level-subscription-status"
        assert api.ok("GET", user_level, user.token) == {"subscription_type": "SUBSCRIBED"}
        bad = api.call("POST", SETTINGS + "/set-subscription-status", user.token,
                       json={"model_name": name, "subscription_type": "SOMETIMES"})
        assert_error(bad, 400, "INVALID_PARAMETER_VALUE")
        assert api.ok("GET", get, user.token, params={"model_name": name}) == {"subscription_type": "UNSUBSCRIBED"}

    def test_a_user_who_may_not_read_the_model_is_refused(self, api, events_identities):
        name, _ = api.model()
        stranger = events_identities.user()
        r = api.call("POST", SETTINGS + "/set-subscription-status", stranger.token,
                     json={"model_name": name, "subscription_type": "ALL_EVENTS"})
        assert_error(r, 403, "PERMISSION_DENIED")
        r = api.call("GET", SETTINGS + "/get-subscription-status", stranger.token, params={"model_name": name})
        assert_error(r, 403, "PERMISSION_DENIED")

    def test_cli_sets_and_shows(self, api, events_auth_server, events_identities):
        name, rm_id = api.model()
        user = reader(events_identities, rm_id)
        cli = [sys.executable, "-m", "regista.cli.main", "notifications"]
        db = ["--backend-store-uri", events_auth_server.database_url]
        subprocess.run([*cli, "set", "--user", user.name, "--model", name, "--level", "ALL_EVENTS", "--off", *db],
                       check=True, capture_output=True)
        shown = subprocess.run([*cli, "show", "--user", user.name, "--model", name, *db], check=True,
                               capture_output=True, text=True).stdout
        assert shown.splitlines() == ["user: UNSUBSCRIBED", f"{name}: ALL_EVENTS"]


def test_the_server_switch_turns_every_e_mail_off(backend, tmp_path, smtp, receiver):
    env = {**EVENTS_ENV, "REGISTA_ADMIN_TOKEN": ADMIN_TOKEN, "REGISTA_SMTP_URL": smtp.url,
           "REGISTA_EMAIL_NOTIFICATIONS": "false"}
    with database_url(backend, tmp_path) as url:
        server = start_server(backend, url, tmp_path, "--auth", env=env)
        identities = IdentityFactory(url)
        try:
            api = Api(server.url)
            name, rm_id = api.model()
            user = reader(identities, rm_id)
            api.level(user.token, name, "ALL_EVENTS")
            path = f"/switch-{uuid.uuid4().hex[:8]}"
            api.ok("POST", API + "/registry-webhooks/create",
                   json={"events": ["MODEL_VERSION_CREATED"], "http_url_spec": {"url": receiver.url + path}})
            api.version(name)
            receiver.wait_for(path, 1)  # the version's event has been dispatched
            assert api.emails_to(user.name) == [] and smtp.to(user.name) == []
        finally:
            identities.close()
            server.stop()
