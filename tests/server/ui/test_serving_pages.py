"""Use model for inference and the serving pages in a real browser: the generated batch and streaming notebooks
downloaded from a model page (resolving the alias when they run), a serving endpoint created from the dialog
that follows @champion and shows the version it serves once a real model worker has loaded it, and someone
who may not read the model, refused both."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.fixtures.browser import check_page, csrf_of, sign_in
from tests.fixtures.identities import ADMIN_TOKEN
from tests.server.serving.conftest import (  # noqa: F401  # fixtures
    models,
    serving_identities,
    serving_server,
    wait_until,
)

API = "/api/2.0/mlflow"


def set_alias(url: str, name: str, alias: str, version: str) -> None:
    r = httpx.post(url + API + "/registered-models/alias", json={"name": name, "alias": alias, "version": version},
                   headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 200, r.text


class TestNotebookDownload:
    def test_batch_and_streaming_notebooks(self, auth_server, registry, admin_page) -> None:
        name, _ = registry.model("nb", versions=1)
        set_alias(auth_server.url, name, "champion", "1")
        admin_page.goto(f"/models/{name}")
        admin_page.get_by_role("button", name="Use model for inference").click()
        dialog = admin_page.get_by_role("dialog", name=f"Use {name} for inference")
        assert dialog.get_by_label("Version", exact=True).input_value() == "@champion"
        check_page(admin_page, "model-use-for-inference-" + auth_server.backend, themes=("light",))
        with admin_page.expect_download() as got:
            dialog.get_by_role("button", name="Download notebook").click()
        notebook = json.loads(open(got.value.path(), encoding="utf-8").read())
        assert got.value.suggested_filename == f"{name}-batch.ipynb"
        assert notebook["nbformat"] == 4
        code = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
        assert f"models:/{name}@champion" in code and auth_server.url in code
        dialog.get_by_label("Mode").select_option("streaming")
        dialog.get_by_label("File").select_option("py")
        with admin_page.expect_download() as got:
            dialog.get_by_role("button", name="Download notebook").click()
        script = open(got.value.path(), encoding="utf-8").read()
        assert "readStream" in script and f"models:/{name}@champion" in script
        compile(script, "score.py", "exec")  # a valid Python script

    def test_a_bad_reference_is_explained(self, registry, admin_page) -> None:
        name, _ = registry.model("nb", versions=1)
        admin_page.goto(f"/models/{name}")
        refused = admin_page.request.get(f"/models/{name}/inference-notebook?reference=@bad%20alias&mode=batch")
        assert refused.status == 400


class TestEndpointFromTheModelPage:
    def test_an_endpoint_that_follows_champion(  # noqa: F811
        self, serving_server, serving_identities, models, open_page,  # noqa: F811
    ) -> None:
        set_alias(serving_server.url, models.classifier, "champion", "1")
        page = sign_in(open_page(serving_server.url), ADMIN_TOKEN, f"/models/{models.classifier}")
        page.get_by_role("button", name="Use model for inference").click()
        dialog = page.get_by_role("dialog", name=f"Use {models.classifier} for inference")
        endpoint = f"ui-{uuid.uuid4().hex[:8]}"
        dialog.get_by_label("Endpoint name").fill(endpoint)
        dialog.get_by_label("Version to serve").fill("@champion")
        dialog.get_by_role("button", name="Create endpoint").click()
        assert page.get_by_role("status").inner_text().startswith(f"Endpoint {endpoint} created")
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

        def ready() -> bool | None:
            state = httpx.get(f"{serving_server.url}/api/2.0/serving-endpoints/{endpoint}", headers=headers).json()
            return state["state"]["ready"] == "READY" or None

        try:
            wait_until(ready, "the endpoint to load @champion")
            page.reload()
            entities = page.get_by_role("table", name=f"Served entities of {endpoint}")
            [row] = [[c.inner_text() for c in r.get_by_role("cell").all()] for r in entities.get_by_role("row").all()[1:]]
            assert row[1:3] == [models.classifier, "1"]
            assert "READY" in page.get_by_text("State").locator("xpath=following-sibling::dd[1]").inner_text()
            check_page(page, "serving-endpoint-" + serving_server.backend, themes=("light",))
            # The query form starts from the served model's signature and shows the model's answer.
            request = json.loads(page.get_by_label("Request").input_value())
            assert list(request) == ["dataframe_records"] and len(request["dataframe_records"][0]) == 4
            page.get_by_label("Request").fill(json.dumps({"dataframe_records": [
                {k: 5.0 for k in request["dataframe_records"][0]}]}))
            page.get_by_role("button", name="Send request").click()
            answer = page.get_by_test_id("query-response").inner_text()
            assert "predictions" in json.loads(answer)
            assert "Status 200" in page.get_by_role("region", name="Query endpoint").inner_text()
            page.get_by_label("Request").fill('{"dataframe_records": [{"no_such_column": 1}]}')
            page.get_by_role("button", name="Send request").click()
            assert "Status 400" in page.get_by_role("region", name="Query endpoint").inner_text()
            page.goto("/serving")
            assert page.get_by_role("link", name=endpoint).count() == 1
            check_page(page, "serving-list-" + serving_server.backend, themes=("light",))
            # Someone with CAN_VIEW sees the endpoint but no query form, and cannot post one.
            viewer = serving_identities.user()
            grant = {"access_control_list": [{"user_name": viewer.name, "permission_level": "CAN_VIEW"}]}
            endpoint_id = httpx.get(f"{serving_server.url}/api/2.0/serving-endpoints/{endpoint}",
                                    headers=headers).json()["id"]
            r = httpx.patch(f"{serving_server.url}/api/2.0/permissions/serving-endpoints/{endpoint_id}",
                            json=grant, headers=headers)
            assert r.status_code == 200, r.text
            as_viewer = sign_in(open_page(serving_server.url), viewer.token, f"/serving/{endpoint}")
            assert as_viewer.get_by_role("button", name="Send request").count() == 0
            assert "needs CAN_QUERY" in as_viewer.get_by_role("region", name="Query endpoint").inner_text()
            refused = as_viewer.request.post(f"/serving/{endpoint}/query", form={
                "request": '{"dataframe_records": []}', "csrf_token": csrf_of(as_viewer)})
            assert refused.status == 403
        finally:
            httpx.delete(f"{serving_server.url}/api/2.0/serving-endpoints/{endpoint}", headers=headers)

    def test_someone_who_may_not_read_the_model_gets_neither(  # noqa: F811
        self, serving_server, serving_identities, models, open_page,  # noqa: F811
    ) -> None:
        stranger = serving_identities.user()
        page = sign_in(open_page(serving_server.url), stranger.token, "/serving")
        assert page.get_by_role("link", name=models.classifier).count() == 0
        assert page.request.get(f"/models/{models.classifier}/inference-notebook?reference=1").status == 403
        endpoint = f"no-{uuid.uuid4().hex[:6]}"
        refused = page.request.post(f"/models/{models.classifier}/serving-endpoint", form={
            "endpoint_name": endpoint, "reference": "1", "csrf_token": csrf_of(page)})
        assert refused.status == 403
        r = httpx.get(f"{serving_server.url}/api/2.0/serving-endpoints/{endpoint}",
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 404
