"""The Experiments page, the experiment page and Compare runs in a real browser, on both databases:
listing, search (name fragment and filter grammar), paging, Create experiment; the runs table with
chosen columns, the filter grammar, sort and paging; Compare of selected runs with its plots; Rename,
Delete and Permissions for managers, refused (and not offered) below CAN_MANAGE; the links the mlflow
client prints; keyboard reachability."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.fixtures.browser import check_page, csrf_of
from tests.fixtures.identities import ADMIN_TOKEN


@pytest.fixture
def admin_client(as_caller):
    return as_caller(ADMIN_TOKEN)


def runs_with(client, experiment_id: str, rows: list[tuple[str, dict[str, str], dict[str, float]]]) -> list[str]:
    from mlflow.entities import Metric, Param

    ids = []
    for name, params, metrics in rows:
        run = client.create_run(experiment_id, run_name=name)
        client.log_batch(run.info.run_id, metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
                         params=[Param(k, v) for k, v in params.items()])
        ids.append(run.info.run_id)
    return ids


def cell_texts(page) -> list[list[str]]:
    return [[c.inner_text().strip() for c in r.get_by_role("cell").all()] for r in page.get_by_role("row").all()[1:]]


class TestExperimentsList:
    def test_lists_searches_pages_and_creates(self, admin_client, admin_page, auth_server) -> None:
        prefix = f"exp{uuid.uuid4().hex[:6]}"
        for i in range(26):
            admin_client.create_experiment(f"{prefix}-{i:02d}", tags={"team": prefix} if i == 3 else None)
        admin_page.goto("/experiments")
        search = admin_page.get_by_label("Search experiments")
        search.fill(prefix)
        search.press("Enter")
        assert admin_page.get_by_role("row").count() == 26  # header + a page of 25
        check_page(admin_page, "experiments-list-" + auth_server.backend)
        admin_page.get_by_role("link", name="Next page").click()
        assert admin_page.get_by_role("row").count() == 2
        search = admin_page.get_by_label("Search experiments")
        search.fill(f"tags.team = '{prefix}'")
        search.press("Enter")
        assert [r[0] for r in cell_texts(admin_page)] == [f"{prefix}-03"]

        admin_page.get_by_role("button", name="Create experiment").click()
        admin_page.get_by_role("dialog").get_by_label("Experiment name").fill(f"{prefix}-new")
        admin_page.get_by_role("dialog").get_by_role("button", name="Create").click()
        assert admin_page.get_by_role("status").inner_text() == f"Experiment {prefix}-new created."
        assert admin_page.get_by_role("heading", level=1).inner_text() == f"{prefix}-new"
        assert "No runs in this experiment yet." in admin_page.locator(".empty").inner_text()
        assert admin_client.get_experiment_by_name(f"{prefix}-new") is not None

    def test_a_reader_sees_only_what_they_may_read(self, admin_client, identities, page_as) -> None:
        prefix = f"vis{uuid.uuid4().hex[:6]}"
        shown = admin_client.create_experiment(f"{prefix}-shown")
        admin_client.create_experiment(f"{prefix}-hidden")
        reader = identities.user()
        identities.grant("experiments", shown, reader, "CAN_READ")
        page = page_as(reader.token, f"/experiments?q={prefix}")
        assert [r[0] for r in cell_texts(page)] == [f"{prefix}-shown"]

    def test_a_search_with_no_match_says_what_to_do(self, admin_page) -> None:
        admin_page.goto(f"/experiments?q=nothing-{uuid.uuid4().hex}")
        assert "No experiment matches this search." in admin_page.locator(".empty").inner_text()


class TestExperimentPage:
    def test_runs_table_columns_filter_sort_and_paging(self, admin_client, admin_page, auth_server) -> None:
        eid = admin_client.create_experiment(f"runs-{uuid.uuid4().hex[:8]}")
        rows = [(f"r{i:02d}", {"model": "tree" if i % 2 else "linear", "depth": str(i)},
                 {"rmse": float(i), "mae": 10.0 - i / 10}) for i in range(52)]
        runs_with(admin_client, eid, rows)
        admin_page.goto(f"/experiments/{eid}")
        header = admin_page.get_by_role("row").first.inner_text()
        assert "mae" in header and "rmse" in header and "depth" in header and "model" in header
        assert admin_page.get_by_role("row").count() == 51  # header + a page of 50
        check_page(admin_page, "experiment-page-" + auth_server.backend)

        # Columns: only rmse and model.
        admin_page.get_by_text("Columns", exact=True).click()
        for label in ("metric: mae", "param: depth"):
            admin_page.get_by_label(label).uncheck()
        admin_page.get_by_role("button", name="Apply columns").click()
        header = admin_page.get_by_role("row").first.inner_text()
        assert "rmse" in header and "model" in header and "mae" not in header and "depth" not in header

        # Filter grammar and sort by a metric.
        admin_page.get_by_label("Filter runs").fill("metrics.rmse < 10 and params.model = 'tree'")
        admin_page.get_by_label("Filter runs").press("Enter")
        assert [r[1] for r in cell_texts(admin_page)] == [f"r{i:02d}" for i in (9, 7, 5, 3, 1)]
        admin_page.get_by_role("link", name="Sort by rmse, descending").click()
        assert [r[1] for r in cell_texts(admin_page)] == [f"r{i:02d}" for i in (9, 7, 5, 3, 1)]
        admin_page.get_by_role("link", name="Sort by rmse, ascending").click()
        assert [r[1] for r in cell_texts(admin_page)] == [f"r{i:02d}" for i in (1, 3, 5, 7, 9)]
        assert "rmse" in admin_page.get_by_role("row").first.inner_text()
        # Each run's cells hold its own values of the chosen columns (rmse, then model), and nothing else.
        assert [r[-2:] for r in cell_texts(admin_page)] == [[f"{float(i)}", "tree"] for i in (1, 3, 5, 7, 9)]

        # Paging keeps the filter and order.
        admin_page.goto(f"/experiments/{eid}?order=metrics.rmse+ASC")
        admin_page.get_by_role("link", name="Next page").click()
        assert [r[1] for r in cell_texts(admin_page)] == ["r50", "r51"]

    def test_a_bad_filter_is_explained(self, admin_client, admin_page) -> None:
        eid = admin_client.create_experiment(f"bad-{uuid.uuid4().hex[:8]}")
        admin_page.goto(f"/experiments/{eid}?q=metrics.rmse+%3D%3D%3D+1")
        assert admin_page.get_by_role("heading", level=1).inner_text() == "That did not work"

    def test_compare_selected_runs(self, admin_client, admin_page, auth_server) -> None:
        eid = admin_client.create_experiment(f"cmp-{uuid.uuid4().hex[:8]}")
        runs_with(admin_client, eid, [
            ("a", {"alpha": "0.1", "opt": "adam"}, {"rmse": 0.9, "r2": 0.5}),
            ("b", {"alpha": "0.2", "opt": "adam"}, {"rmse": 0.7, "r2": 0.6}),
            ("c", {"alpha": "0.3", "opt": "sgd"}, {"rmse": 0.4, "r2": 0.8}),
        ])
        admin_page.goto(f"/experiments/{eid}")
        for name in ("a", "b", "c"):
            admin_page.get_by_label(f"Select {name}").check()
        admin_page.get_by_role("button", name="Compare").click()
        assert admin_page.get_by_role("heading", level=1).inner_text() == "Compare 3 runs"
        params = admin_page.get_by_role("region", name="Parameters")
        assert "alpha\t0.3\t0.2\t0.1" in params.inner_text()  # newest run first, as in the table
        # plotly's JS is 3.5 MB: on a loaded machine it can take a while to arrive and run.
        admin_page.wait_for_selector("#plot-parallel .main-svg", timeout=90_000)
        admin_page.wait_for_selector("#plot-contour .main-svg", timeout=90_000)
        assert admin_page.evaluate("() => document.getElementById('plot-scatter').data[0].x.length") == 3
        check_page(admin_page, "compare-runs-" + auth_server.backend)
        admin_page.get_by_label("Show differences only").check()
        admin_page.wait_for_url(re.compile(r"diff=1"))
        assert "opt" in params.inner_text()
        admin_page.get_by_role("region", name="Parameters").get_by_role("link", name="b", exact=True).click()
        assert admin_page.get_by_role("heading", level=1).inner_text() == "b"

    def test_compare_needs_two_runs(self, admin_client, admin_page) -> None:
        eid = admin_client.create_experiment(f"one-{uuid.uuid4().hex[:8]}")
        (run_id,) = runs_with(admin_client, eid, [("only", {}, {"x": 1.0})])
        admin_page.goto(f"/experiments/{eid}/compare?run={run_id}")
        assert "Select two or more runs to compare." in admin_page.locator("main").inner_text()

    def test_rename_delete_and_permissions_for_a_manager(self, admin_client, identities, page_as) -> None:
        eid = admin_client.create_experiment(f"mgr-{uuid.uuid4().hex[:8]}")
        manager, reader = identities.user(), identities.user()
        identities.grant("experiments", eid, manager, "CAN_MANAGE")
        page = page_as(manager.token, f"/experiments/{eid}")
        page.get_by_role("button", name="Permissions").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Name").fill(reader.name)
        dialog.get_by_label("Permission level").select_option("CAN_READ")
        dialog.get_by_role("button", name="Add permission").click()
        assert page.get_by_role("status").inner_text() == f"{reader.name} now has CAN_READ."
        assert page_as(reader.token, f"/experiments/{eid}").get_by_role("heading", level=1).is_visible()

        new_name = f"renamed-{uuid.uuid4().hex[:8]}"
        page.get_by_role("button", name="Rename").click()
        page.get_by_role("dialog").get_by_label("New name").fill(new_name)
        page.get_by_role("button", name="Save name").click()
        assert page.get_by_role("heading", level=1).inner_text() == new_name
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Delete").click()
        assert page.get_by_role("status").inner_text() == "Experiment deleted (with its runs)."
        assert admin_client.get_experiment(eid).lifecycle_stage == "deleted"

    @pytest.mark.parametrize("level", ["CAN_READ", "CAN_EDIT"])
    def test_below_can_manage_rename_and_delete_are_absent_and_refused(
        self, admin_client, identities, page_as, level
    ) -> None:
        name = f"low-{uuid.uuid4().hex[:8]}"
        eid = admin_client.create_experiment(name)
        caller = identities.user()
        identities.grant("experiments", eid, caller, level)
        page = page_as(caller.token, f"/experiments/{eid}")
        for button in ("Rename", "Delete", "Permissions"):
            assert page.get_by_role("button", name=button).count() == 0
        form = {"csrf_token": csrf_of(page), "name": "taken-over"}
        refused = page.request.post(f"/experiments/{eid}/rename", form=form, max_redirects=0)
        assert refused.status == 403 and "CAN_MANAGE" in refused.text()
        refused = page.request.post(f"/experiments/{eid}/delete", form={"csrf_token": csrf_of(page)}, max_redirects=0)
        assert refused.status == 403
        experiment = admin_client.get_experiment(eid)
        assert experiment.name == name and experiment.lifecycle_stage == "active"

    def test_without_permission_the_page_is_refused(self, admin_client, identities, page_as) -> None:
        eid = admin_client.create_experiment(f"no-{uuid.uuid4().hex[:8]}")
        stranger = identities.user()
        page = page_as(stranger.token, "/experiments")
        response = page.goto(f"/experiments/{eid}")
        assert response.status == 403
        assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"

    def test_a_form_post_without_the_csrf_token_is_refused(self, admin_client, admin_page) -> None:
        name = f"csrf-{uuid.uuid4().hex[:8]}"
        eid = admin_client.create_experiment(name)
        admin_page.goto(f"/experiments/{eid}")
        response = admin_page.request.post(f"/experiments/{eid}/rename", form={"name": "x"}, max_redirects=0)
        assert response.status == 403
        assert admin_client.get_experiment(eid).name == name

    def test_actions_are_reachable_by_keyboard(self, admin_client, admin_page) -> None:
        eid = admin_client.create_experiment(f"kbd-{uuid.uuid4().hex[:8]}")
        runs_with(admin_client, eid, [("k1", {"p": "1"}, {"m": 1.0}), ("k2", {"p": "2"}, {"m": 2.0})])
        admin_page.goto(f"/experiments/{eid}")
        reached = set()
        for _ in range(45):
            admin_page.keyboard.press("Tab")
            reached.add(admin_page.evaluate(
                "() => { const e = document.activeElement; return e.getAttribute('aria-label') || e.innerText || e.value || ''; }"
            ).strip())
        for action in ("Permissions", "Rename", "Delete", "Search", "Columns", "Select k1", "Compare", "k1"):
            assert action in reached, (action, reached)


class TestPrintedLinks:
    def test_the_links_the_client_prints_open_the_run_and_experiment(
        self, live_server, mlflow_client, open_page, capsys
    ) -> None:
        import mlflow

        experiment_id = mlflow_client.create_experiment(f"printed-{uuid.uuid4().hex[:8]}")
        with mlflow.start_run(experiment_id=experiment_id, run_name="printed-run") as run:
            mlflow.log_metric("loss", 0.25)
        printed = capsys.readouterr()
        out = printed.out + printed.err
        (run_url,) = re.findall(r"View run \S+ at: (\S+)", out)
        (experiment_url,) = re.findall(r"View experiment at: (\S+)", out)
        page = open_page(live_server.url)
        page.goto(run_url)
        page.wait_for_url(f"{live_server.url}/experiments/{experiment_id}/runs/{run.info.run_id}")
        assert page.get_by_role("heading", level=1).inner_text() == "printed-run"
        assert "loss" in page.get_by_role("region", name="Metrics").inner_text()
        page.goto(experiment_url)
        page.wait_for_url(f"{live_server.url}/experiments/{experiment_id}")
        assert "printed-run" in page.get_by_role("table").inner_text()
