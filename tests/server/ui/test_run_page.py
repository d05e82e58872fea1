"""The run page in a real browser, on both databases: parameters, metrics and their history plotted per
step and per time, tags (Add tag / Delete for editors only), inputs, logged models, the artifact browser
(folders, previews of text, JSON, YAML, CSV and images, download of the rest, refused paths) and Register
model on a model folder (new and existing registered model), each refused below the level it needs."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from tests.fixtures.browser import check_page, csrf_of
from tests.fixtures.identities import ADMIN_TOKEN

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
MLMODEL = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"


@pytest.fixture
def admin_client(as_caller):
    return as_caller(ADMIN_TOKEN)


@pytest.fixture
def logged_run(admin_client, tmp_path):
    """logged_run() -> (experiment_id, run_id): a finished run with params, a metric history, tags, a dataset
    input, and artifacts of every previewed kind plus a model folder."""
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

    def make() -> tuple[str, str]:
        eid = admin_client.create_experiment(f"run-{uuid.uuid4().hex[:8]}")
        run = admin_client.create_run(eid, run_name="trainer")
        rid = run.info.run_id
        admin_client.log_batch(
            rid,
            metrics=[Metric("loss", 1.0 / (s + 1), 1_700_000_000_000 + s * 1000, s) for s in range(6)]
            + [Metric("accuracy", 0.9, 1_700_000_000_000, 0)],
            params=[Param("alpha", "0.5"), Param("optimizer", "adam")],
            tags=[RunTag("team", "fraud")],
        )
        admin_client.log_inputs(rid, [DatasetInput(
            Dataset("transactions", "d1g3st", "delta", '{"path": "s3://b/t"}'),
            tags=[InputTag("mlflow.data.context", "training")])])
        admin_client.log_text(rid, "hello from the run\nsecond line", "notes/readme.txt")
        admin_client.log_dict(rid, {"b": [1, 2], "a": "x"}, "config.json")
        admin_client.log_text(rid, "lr: 0.1\nlayers: 3\n", "config.yaml")
        admin_client.log_text(rid, "name,score\nann,0.9\nbob,0.7\n", "scores.csv")
        image = tmp_path / "chart.png"
        image.write_bytes(PNG)
        admin_client.log_artifact(rid, str(image))
        blob = tmp_path / "weights.bin"
        blob.write_bytes(bytes(range(256)))
        admin_client.log_artifact(rid, str(blob))
        admin_client.log_text(rid, MLMODEL, "model/MLmodel")
        admin_client.set_terminated(rid)
        return eid, rid

    return make


def region(page, name):
    return page.get_by_role("region", name=name, exact=True)


class TestRunPage:
    def test_parameters_metrics_tags_inputs_and_plots(self, logged_run, admin_page, auth_server) -> None:
        eid, rid = logged_run()
        admin_page.goto(f"/experiments/{eid}/runs/{rid}")
        assert admin_page.get_by_role("heading", level=1).inner_text() == "trainer"
        assert "alpha\t0.5" in region(admin_page, "Parameters").inner_text()
        metrics = region(admin_page, "Metrics").inner_text()
        assert "loss" in metrics and "accuracy" in metrics
        assert "team\tfraud" in region(admin_page, "Tags").inner_text()
        inputs = region(admin_page, "Inputs").inner_text()
        assert "transactions" in inputs and "d1g3st" in inputs and "training" in inputs
        assert "No models logged from this run." in region(admin_page, "Logged models").inner_text()

        admin_page.get_by_label("Metric to plot").select_option("loss")
        admin_page.wait_for_function("() => document.querySelector('[data-metric-plots]').dataset.plotted === 'loss'")
        steps = admin_page.evaluate("() => document.getElementById('plot-step').data[0].x")
        values = admin_page.evaluate("() => document.getElementById('plot-step').data[0].y")
        assert steps == [0, 1, 2, 3, 4, 5] and values[0] == 1.0 and values[-1] == pytest.approx(1 / 6)
        times = admin_page.evaluate("() => document.getElementById('plot-time').data[0].x.length")
        assert times == 6
        check_page(admin_page, "run-page-" + auth_server.backend)

    def test_artifact_browser_previews_and_downloads(self, logged_run, admin_page, auth_server) -> None:
        eid, rid = logged_run()
        admin_page.goto(f"/experiments/{eid}/runs/{rid}")
        files = region(admin_page, "Artifacts")
        listed = files.inner_text()
        for name in ("notes/", "model/", "config.json", "config.yaml", "scores.csv", "chart.png", "weights.bin"):
            assert name in listed

        files.get_by_role("link", name="config.json").click()
        preview = admin_page.get_by_role("region", name="Preview of config.json")
        assert '"b": [\n    1,\n    2\n  ]' in preview.inner_text()
        files = region(admin_page, "Artifacts")
        files.get_by_role("link", name="config.yaml").click()
        assert "layers: 3" in admin_page.get_by_role("region", name="Preview of config.yaml").inner_text()
        region(admin_page, "Artifacts").get_by_role("link", name="scores.csv").click()
        table = admin_page.get_by_role("table", name="Table scores.csv")
        assert table.get_by_role("columnheader").all_inner_texts() == ["name", "score"]
        assert "bob\t0.7" in table.inner_text()
        region(admin_page, "Artifacts").get_by_role("link", name="chart.png").click()
        image = admin_page.get_by_role("img", name="Image chart.png")
        admin_page.wait_for_function("() => document.querySelector('.preview img').naturalWidth === 1")
        assert image.is_visible()
        check_page(admin_page, "run-artifacts-" + auth_server.backend)
        region(admin_page, "Artifacts").get_by_role("link", name="weights.bin").click()
        preview = admin_page.get_by_role("region", name="Preview of weights.bin")
        assert "No preview for this kind of file" in preview.inner_text()
        href = preview.get_by_role("link", name="Download").get_attribute("href")
        assert admin_page.request.get(href).body() == bytes(range(256))

        region(admin_page, "Artifacts").get_by_role("link", name="notes/").click()
        region(admin_page, "Artifacts").get_by_role("link", name="readme.txt").click()
        assert "hello from the run" in admin_page.get_by_role("region", name="Preview of readme.txt").inner_text()
        admin_page.get_by_role("navigation", name="Artifact folder").get_by_role("link", name="(root)").click()
        assert "scores.csv" in region(admin_page, "Artifacts").inner_text()

    @pytest.mark.parametrize("query", ["file=../../../etc/passwd", "path=../other", "file=%2Fetc%2Fpasswd"])
    def test_paths_outside_the_run_are_refused(self, logged_run, admin_page, query) -> None:
        eid, rid = logged_run()
        response = admin_page.goto(f"/experiments/{eid}/runs/{rid}?{query}")
        assert response.status == 400
        assert "root:" not in admin_page.content()

    def test_a_run_under_another_experiment_is_not_found(self, logged_run, admin_client, admin_page) -> None:
        _, rid = logged_run()
        other = admin_client.create_experiment(f"other-{uuid.uuid4().hex[:8]}")
        assert admin_page.goto(f"/experiments/{other}/runs/{rid}").status == 404

    def test_register_a_model_folder_as_a_new_then_an_existing_model(self, logged_run, admin_page, admin_client) -> None:
        eid, rid = logged_run()
        admin_page.goto(f"/experiments/{eid}/runs/{rid}")
        # The button appears with something to register: the logged model folder, once opened.
        assert admin_page.get_by_role("button", name="Register model").count() == 0
        region(admin_page, "Artifacts").get_by_role("link", name="model/").click()
        assert "This folder is a model" in region(admin_page, "Artifacts").inner_text()
        name = f"reg-{uuid.uuid4().hex[:8]}"
        admin_page.get_by_role("button", name="Register model").click()
        dialog = admin_page.get_by_role("dialog", name="Register model")
        dialog.get_by_label("Create new model").check()
        dialog.get_by_label("New model name").fill(name)
        check_page(admin_page, "run-register-dialog")
        dialog.get_by_role("button", name="Register").click()
        admin_page.wait_for_url(re.compile(rf"/models/{name}/versions/1$"))
        assert admin_page.get_by_role("status").inner_text() == f"Registered {name} version 1."
        version = admin_client.get_model_version(name, "1")
        assert version.run_id == rid and version.source == f"runs:/{rid}/model"

        admin_page.goto(f"/experiments/{eid}/runs/{rid}?path=model")
        admin_page.get_by_role("button", name="Register model").click()
        dialog = admin_page.get_by_role("dialog", name="Register model")
        dialog.get_by_label("Existing model", exact=True).check()
        dialog.get_by_label("Existing model name").fill(name)
        dialog.get_by_role("button", name="Register").click()
        admin_page.wait_for_url(re.compile(rf"/models/{name}/versions/2$"))

    def test_register_a_logged_model(self, logged_run, admin_client, admin_page) -> None:
        eid, rid = logged_run()
        logged = admin_client.create_logged_model(eid, source_run_id=rid, name="clf")
        admin_page.goto(f"/experiments/{eid}/runs/{rid}")
        assert logged.model_id in region(admin_page, "Logged models").inner_text()
        name = f"lm-{uuid.uuid4().hex[:8]}"
        admin_page.get_by_role("button", name="Register model").click()
        dialog = admin_page.get_by_role("dialog", name="Register model")
        dialog.get_by_label("Model to register").select_option(f"model:{logged.model_id}")
        dialog.get_by_label("New model name").fill(name)
        dialog.get_by_role("button", name="Register").click()
        admin_page.wait_for_url(re.compile(rf"/models/{name}/versions/1$"))
        assert admin_client.get_model_version(name, "1").source == f"models:/{logged.model_id}"


class TestRunPageRefusals:
    def test_a_reader_sees_no_tag_actions_and_their_post_is_refused(self, logged_run, identities, page_as,
                                                                       admin_client) -> None:
        eid, rid = logged_run()
        reader = identities.user()
        identities.grant("experiments", eid, reader, "CAN_READ")
        page = page_as(reader.token, f"/experiments/{eid}/runs/{rid}")
        tags = region(page, "Tags")
        assert tags.get_by_role("button", name="Add tag").count() == 0
        assert tags.get_by_role("button", name="Delete tag team").count() == 0
        refused = page.request.post(f"/experiments/{eid}/runs/{rid}/tags", max_redirects=0,
                                    form={"csrf_token": csrf_of(page), "key": "hijack", "value": "1"})
        assert refused.status == 403 and "CAN_EDIT" in refused.text()
        assert "hijack" not in admin_client.get_run(rid).data.tags

    def test_an_editor_adds_and_deletes_tags(self, logged_run, identities, page_as, admin_client) -> None:
        eid, rid = logged_run()
        editor = identities.user()
        identities.grant("experiments", eid, editor, "CAN_EDIT")
        page = page_as(editor.token, f"/experiments/{eid}/runs/{rid}")
        page.get_by_label("Tag key").fill("stage")
        page.get_by_label("Tag value").fill("candidate")
        page.get_by_role("button", name="Add tag").click()
        assert page.get_by_role("status").inner_text() == "Tag stage set."
        assert admin_client.get_run(rid).data.tags["stage"] == "candidate"
        page.get_by_role("button", name="Delete tag team").click()
        assert page.get_by_role("status").inner_text() == "Tag team deleted."
        assert "team" not in admin_client.get_run(rid).data.tags

    def test_registering_into_a_model_the_caller_cannot_edit_is_refused(
        self, logged_run, identities, page_as, registry
    ) -> None:
        eid, rid = logged_run()
        editor = identities.user()
        identities.grant("experiments", eid, editor, "CAN_EDIT")
        name, rm_id = registry.model("ro")
        registry.grant(rm_id, editor, "CAN_READ")
        page = page_as(editor.token, f"/experiments/{eid}/runs/{rid}?path=model")
        page.get_by_role("button", name="Register model").click()
        dialog = page.get_by_role("dialog", name="Register model")
        dialog.get_by_label("Existing model", exact=True).check()
        dialog.get_by_label("Existing model name").fill(name)
        dialog.get_by_role("button", name="Register").click()
        assert "CAN_EDIT" in page.get_by_role("alert").inner_text()
        assert registry.ok("GET", "/registered-models/get", params={"name": name})["registered_model"].get(
            "latest_versions") is None

    def test_a_caller_without_permission_gets_no_run_and_no_file(self, logged_run, identities, page_as) -> None:
        eid, rid = logged_run()
        stranger = identities.user()
        page = page_as(stranger.token, "/experiments")
        assert page.goto(f"/experiments/{eid}/runs/{rid}").status == 403
        assert page.goto(f"/experiments/{eid}/runs/{rid}?file=config.json").status == 403
        assert page.request.get(f"/get-artifact?run_id={rid}&path=config.json").status == 403

    def test_actions_are_reachable_by_keyboard(self, logged_run, admin_page) -> None:
        eid, rid = logged_run()
        admin_page.goto(f"/experiments/{eid}/runs/{rid}?path=model")
        reached = set()
        for _ in range(60):
            admin_page.keyboard.press("Tab")
            reached.add(admin_page.evaluate(
                "() => { const e = document.activeElement; return e.getAttribute('aria-label') || e.innerText || e.value || ''; }"
            ).strip())
        for action in ("Register model", "Add tag", "Delete tag team", "MLmodel", "(root)"):
            assert action in reached, (action, reached)
