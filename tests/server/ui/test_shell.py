"""The web UI's shell in a real browser: sign-in with a token and sign-out, sessions that end with their
token or user, CSRF refusals, the mlflow client's printed links, themes, local times, auth off."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import sqlalchemy as sa

from tests.fixtures.browser import check_page, csrf_of, screenshot, sign_in
from tests.fixtures.identities import ADMIN_TOKEN, workspace_client

SCIM = "/api/2.0/preview/scim/v2"
# The innermost elements that reach past the window's right edge (what to fix when a page is too wide).
TOO_WIDE = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.closest('.table-wrap') === null)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""


class TestSignIn:
    def test_a_page_asks_for_a_token_then_opens(self, auth_server, open_page) -> None:
        page = open_page(auth_server.url)
        page.goto("/models?q=abc")
        assert re.search(r"/signin\?next=", page.url)
        check_page(page, f"signin-{auth_server.backend}")
        page.get_by_label("Personal access token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/models\?q=abc$"))
        nav = page.get_by_role("navigation", name="Main")
        for name in ("Models", "Experiments", "Settings", "Admin"):
            assert nav.get_by_role("link", name=name).is_visible()
        assert ADMIN_TOKEN not in page.url

    def test_a_wrong_token_is_refused_on_the_page(self, auth_server, open_page) -> None:
        page = open_page(auth_server.url)
        page.goto("/signin")
        page.get_by_label("Personal access token").fill("dapi" + "0" * 32)
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == "Invalid access token."
        assert page.context.cookies() == []

    def test_the_cookie_is_httponly_samesite_and_not_the_token(self, auth_server, admin_page) -> None:
        (cookie,) = [c for c in admin_page.context.cookies() if c["name"] == "regista_session"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        assert cookie["value"] != ADMIN_TOKEN
        # Only a hash of the session id is stored.
        engine = sa.create_engine(auth_server.database_url)
        with engine.connect() as conn:
            stored = [r[0] for r in conn.execute(sa.text("SELECT session_hash FROM ui_sessions"))]
        engine.dispose()
        assert stored and cookie["value"] not in stored

    def test_the_token_never_reaches_the_log(self, auth_server, identities, page_as) -> None:
        user = identities.user()
        page_as(user.token)
        assert user.token not in (auth_server.data_dir / "server.log").read_text()

    def test_sign_out_ends_the_session(self, admin_page) -> None:
        admin_page.get_by_role("button", name="Sign out").click()
        admin_page.wait_for_url(re.compile(r"/signin$"))
        assert admin_page.get_by_role("status").inner_text() == "You are signed out."
        admin_page.goto("/models")
        assert "/signin?next=" in admin_page.url

    def test_a_stale_cookie_sent_to_an_api_is_401(self, auth_server, admin_page) -> None:
        cookie = next(c for c in admin_page.context.cookies() if c["name"] == "regista_session")
        admin_page.get_by_role("button", name="Sign out").click()
        admin_page.wait_for_url(re.compile(r"/signin$"))
        r = httpx.get(f"{auth_server.url}/api/2.0/mlflow/registered-models/search",
                      cookies={"regista_session": cookie["value"]})
        assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"

    def test_after_sign_in_the_next_path_stays_on_this_server(self, auth_server, open_page) -> None:
        page = open_page(auth_server.url)
        page.goto("/signin?next=https://example.com/steal")
        page.get_by_label("Personal access token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{auth_server.url}/models")


class TestSessionLifetime:
    def test_revoking_the_token_ends_the_session(self, auth_server, identities, page_as) -> None:
        user = identities.user()
        page = page_as(user.token)
        client = workspace_client(auth_server.url, user.token)
        (info,) = client.tokens.list()
        client.tokens.delete(info.token_id)
        page.goto("/models")
        assert "/signin?next=" in page.url

    def test_deactivating_the_user_ends_the_session(self, auth_server, identities, page_as) -> None:
        user = identities.user()
        page = page_as(user.token)
        r = httpx.patch(f"{auth_server.url}{SCIM}/Users/{user.identity_id}",
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                        json={"Operations": [{"op": "replace", "path": "active", "value": False}]})
        assert r.status_code == 200
        page.goto("/models")
        assert "/signin?next=" in page.url


class TestCsrf:
    def test_a_form_post_without_the_token_is_403_and_changes_nothing(self, auth_server, admin_page) -> None:
        name = f"csrf-{uuid.uuid4().hex[:8]}"
        for form in ({"name": name}, {"name": name, "csrf_token": "forged"}):
            r = admin_page.request.post("/models", form=form, max_redirects=0)
            assert r.status == 403
            assert r.json()["error_code"] == "PERMISSION_DENIED"
        found = httpx.get(f"{auth_server.url}/api/2.0/mlflow/registered-models/get", params={"name": name},
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert found.status_code == 404

    def test_a_form_post_with_the_token_works(self, auth_server, admin_page) -> None:
        name = f"csrf-ok-{uuid.uuid4().hex[:8]}"
        r = admin_page.request.post("/models", form={"name": name, "csrf_token": csrf_of(admin_page)},
                                    max_redirects=0)
        assert r.status == 303
        assert r.headers["location"] == f"/models/{name}"

    def test_json_apis_need_the_csrf_header_with_the_cookie(self, admin_page) -> None:
        body = {"name": f"csrf-api-{uuid.uuid4().hex[:8]}"}
        url = "/api/2.0/mlflow/registered-models/create"
        assert admin_page.request.post(url, data=body).status == 403
        ok = admin_page.request.post(url, data=body, headers={"X-CSRF": csrf_of(admin_page)})
        assert ok.status == 200 and ok.json()["registered_model"]["name"] == body["name"]

    def test_bearer_tokens_need_no_csrf_token(self, auth_server) -> None:
        r = httpx.post(f"{auth_server.url}/api/2.0/mlflow/registered-models/create",
                       json={"name": f"bearer-{uuid.uuid4().hex[:8]}"},
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 200

    def test_sign_out_without_the_token_is_refused(self, admin_page) -> None:
        assert admin_page.request.post("/signout", form={}, max_redirects=0).status == 403
        admin_page.goto("/models")
        assert admin_page.get_by_role("button", name="Sign out").is_visible()


class TestPrintedLinks:
    @pytest.mark.parametrize(
        ("fragment", "path"),
        [
            ("#/experiments/1", "/experiments/1"),
            ("#/experiments/1/overview", "/experiments/1"),
            ("#/experiments/12/runs/abc123", "/experiments/12/runs/abc123"),
            ("#/models/fraud%20model", "/models/fraud%20model"),
            ("#/models/fraud/versions/3", "/models/fraud/versions/3"),
            ("", "/models"),
        ],
    )
    def test_hash_links_open_the_matching_page(self, live_server, open_page, fragment, path) -> None:
        page = open_page(live_server.url)
        page.goto("/" + fragment)
        page.wait_for_url(f"{live_server.url}{path}")

    def test_the_run_link_the_client_prints(self, live_server, mlflow_client, open_page, capsys) -> None:
        import mlflow

        experiment_id = mlflow_client.create_experiment(f"printed-{uuid.uuid4().hex[:8]}")
        with mlflow.start_run(experiment_id=experiment_id) as run:
            pass
        printed = capsys.readouterr()
        (url,) = re.findall(r"View run \S+ at: (\S+)", printed.out + printed.err)
        page = open_page(live_server.url)
        page.goto(url)
        page.wait_for_url(f"{live_server.url}/experiments/{experiment_id}/runs/{run.info.run_id}")


class TestShell:
    def test_the_theme_toggle_switches_and_persists(self, local_page) -> None:
        local_page.goto("/models")
        toggle = local_page.get_by_role("button", name="Dark theme")
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == "true"
        assert local_page.evaluate("document.documentElement.dataset.theme") == "dark"
        local_page.reload()
        assert local_page.evaluate("document.documentElement.dataset.theme") == "dark"
        check_page(local_page, "models-dark")
        local_page.get_by_role("button", name="Dark theme").click()
        assert local_page.evaluate("document.documentElement.dataset.theme") == "light"

    def test_the_system_dark_preference_is_followed(self, live_server, open_page) -> None:
        page = open_page(live_server.url, color_scheme="dark")
        page.goto("/models")
        assert page.get_by_role("button", name="Dark theme").get_attribute("aria-pressed") == "true"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 20, 25)"

    def test_times_are_shown_in_the_viewers_time_zone(self, live_server, mlflow_client, open_page) -> None:
        name = f"tz-{uuid.uuid4().hex[:8]}"
        model = mlflow_client.create_registered_model(name)
        shown = {}
        for zone in ("Asia/Tokyo", "America/New_York"):
            page = open_page(live_server.url, timezone_id=zone, locale="en-US")
            page.goto(f"/models?q={name}")
            cell = page.get_by_role("row").filter(has_text=name).locator("time")
            expected = page.evaluate(
                "ms => new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'})"
                ".format(new Date(ms))", model.last_updated_timestamp)
            assert cell.inner_text() == expected
            shown[zone] = expected
        assert shown["Asia/Tokyo"] != shown["America/New_York"]

    def test_every_page_fits_a_1024_pixel_window(self, live_server, mlflow_client, open_page) -> None:
        """No page scrolls sideways at 1024 px, even with long unbroken names and values (wide tables scroll
        inside their own frame)."""
        long = "a" * 60 + uuid.uuid4().hex
        experiment_id = mlflow_client.create_experiment(f"wide-{long}")
        run_ids = []
        for i in range(2):
            run = mlflow_client.create_run(experiment_id, run_name=f"run-{i}-{long}")
            run_ids.append(run.info.run_id)
            for k in range(12):
                mlflow_client.log_param(run.info.run_id, f"param_{k}_{long[:20]}", f"{long}-{i}")
                mlflow_client.log_metric(run.info.run_id, f"metric_{k}_{long[:20]}", k * (i + 1))
            mlflow_client.set_tag(run.info.run_id, f"tag_{long}", long)
            mlflow_client.log_text(run.info.run_id, long, f"model/{long}.txt")
        model = mlflow_client.create_registered_model(f"m-{long}", tags={f"k-{long}": long}, description=long)
        for run_id in run_ids:
            mlflow_client.create_model_version(model.name, f"runs:/{run_id}/model", run_id=run_id)
        mlflow_client.set_registered_model_alias(model.name, f"alias_{long[:40]}", "1")
        paths = [
            "/models", f"/models/{model.name}", f"/models/{model.name}/versions/1",
            f"/models/{model.name}/compare?version=1&version=2", "/experiments", f"/experiments/{experiment_id}",
            f"/experiments/{experiment_id}/runs/{run_ids[0]}",
            f"/experiments/{experiment_id}/compare?run={run_ids[0]}&run={run_ids[1]}",
            "/settings", "/admin", "/admin/webhooks", "/admin/audit", "/serving", "/catalog",
        ]
        page = open_page(live_server.url, viewport={"width": 1024, "height": 768})
        for path in paths:
            assert page.goto(path).status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1024, f"{path} is {width} px wide; too wide: {page.evaluate(TOO_WIDE)}"
        page.goto(f"/models/{model.name}")
        screenshot(page, f"model-page-1024px-{live_server.backend}")

    def test_without_authentication_there_is_no_sign_in(self, local_page) -> None:
        local_page.goto("/signin")
        local_page.wait_for_url(re.compile(r"/models$"))
        assert local_page.get_by_role("button", name="Sign out").count() == 0
        assert local_page.get_by_role("link", name="Admin").is_visible()

    def test_static_files_come_from_pinned_packages_and_nothing_else(self, live_server) -> None:
        assert httpx.get(f"{live_server.url}/static/vendor/plotly.min.js").status_code == 200
        assert httpx.get(f"{live_server.url}/static/regista.css").status_code == 200
        for bad in ("/static/vendor/other.js", "/static/..%2Fapi%2Fshell.py", "/static/vendor/..%2F..%2Fapp.py"):
            assert httpx.get(f"{live_server.url}{bad}").status_code == 404


def test_sign_in_helper_lands_on_the_page(auth_server, open_page) -> None:
    page = sign_in(open_page(auth_server.url), ADMIN_TOKEN, "/models")
    assert page.get_by_role("heading", name="Models").is_visible()


def test_without_authentication_a_cross_site_form_post_is_refused(live_server, open_page) -> None:
    """A page of another site posting to the local server (auth off) is refused; our own forms work."""
    name = f"xsite-{uuid.uuid4().hex[:8]}"
    attacker = open_page("http://localhost:1")
    attacker.set_content(
        f'<form method="post" action="{live_server.url}/models"><input name="name" value="{name}">'
        '<button>go</button></form>'
    )
    with attacker.expect_navigation() as navigation:
        attacker.get_by_role("button", name="go").click()
    assert navigation.value.status == 403
    assert httpx.get(f"{live_server.url}/api/2.0/mlflow/registered-models/get",
                     params={"name": name}).status_code == 404


def test_forms_work_without_javascript(live_server, open_page) -> None:
    """Progressive enhancement: with JavaScript off, dialogs are parts of the page and their forms post."""
    name = f"nojs-{uuid.uuid4().hex[:8]}"
    page = open_page(live_server.url, java_script_enabled=False)
    page.goto("/models")
    assert page.get_by_role("button", name="Create model").is_hidden()
    page.get_by_label("Model name").fill(name)
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(f"{live_server.url}/models/{name}")
    assert page.get_by_role("status").inner_text() == f"Model {name} created."
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", page.locator("main").inner_text())


def test_the_open_pages_show_nothing_without_a_session(auth_server) -> None:
    """`/`, the sign-in page and static files need no token; no other page, and no data, is served without one."""
    for path in ("/", "/signin", "/static/regista.css"):
        assert httpx.get(f"{auth_server.url}{path}").status_code == 200
    home = httpx.get(f"{auth_server.url}/").text
    assert "Sign out" not in home and 'aria-label="Main"' not in home
    page = httpx.get(f"{auth_server.url}/models", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=%2Fmodels"
    assert httpx.get(f"{auth_server.url}/models").status_code == 401
