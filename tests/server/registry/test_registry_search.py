"""search_registered_models / search_model_versions: every operator, OR, parentheses, order_by, paging,
and the prompt-exclusion clause the client appends."""

from __future__ import annotations

import base64

import mlflow
import orjson
import pytest

from tests.server.registry.registry_helpers import call, error


@pytest.fixture
def models(mlflow_client, unique):
    """Four models `s-<unique>-{alpha,beta,gamma,delta}` with tags, and versions with tags and run ids."""
    names = {}
    for i, short in enumerate(["alpha", "beta", "gamma", "Delta"]):
        name = f"s-{unique}-{short}"
        tags = {"team": "red" if i % 2 == 0 else "blue"}
        if short == "gamma":
            tags["flag"] = "on"
        mlflow_client.create_registered_model(name, tags=tags)
        names[short] = name
    for v in range(3):
        mlflow_client.create_model_version(names["alpha"], f"s3://b/{unique}/alpha/{v}", tags={"v": str(v)})
    mlflow_client.create_model_version(names["beta"], f"s3://b/{unique}/beta/0")
    return names


def rm_names(client, filt, **kw):
    return sorted(m.name for m in client.search_registered_models(filt, **kw))


class TestSearchRegisteredModels:
    def test_equals_and_not_equals_on_name(self, mlflow_client, models, unique):
        assert rm_names(mlflow_client, f"name = '{models['alpha']}'") == [models["alpha"]]
        got = rm_names(mlflow_client, f"name LIKE 's-{unique}-%' AND name != '{models['alpha']}'")
        assert got == sorted([models["beta"], models["gamma"], models["Delta"]])

    def test_like_is_case_sensitive_and_ilike_is_not(self, mlflow_client, models, unique):
        assert rm_names(mlflow_client, f"name LIKE 's-{unique}-delta'") == []
        assert rm_names(mlflow_client, f"name LIKE 's-{unique}-D%'") == [models["Delta"]]
        assert rm_names(mlflow_client, f"name ILIKE 'S-{unique}-DELTA'") == [models["Delta"]]

    def test_in_and_not_in(self, mlflow_client, models, unique):
        got = rm_names(mlflow_client, f"name IN ('{models['alpha']}', '{models['beta']}')")
        assert got == sorted([models["alpha"], models["beta"]])
        got = rm_names(mlflow_client, f"name LIKE 's-{unique}%' AND name NOT IN ('{models['alpha']}')")
        assert got == sorted([models["beta"], models["gamma"], models["Delta"]])

    def test_tag_filters(self, mlflow_client, models, unique):
        prefix = f"name LIKE 's-{unique}%'"
        assert rm_names(mlflow_client, f"{prefix} AND tags.team = 'red'") == sorted([models["alpha"], models["gamma"]])
        assert rm_names(mlflow_client, f"{prefix} AND tag.team LIKE 'bl%'") == sorted([models["beta"], models["Delta"]])
        assert rm_names(mlflow_client, f"{prefix} AND tags.team ILIKE 'RED'") == sorted([models["alpha"], models["gamma"]])

    def test_tag_not_equals_keeps_models_without_the_tag(self, mlflow_client, models, unique):
        got = rm_names(mlflow_client, f"name LIKE 's-{unique}%' AND tags.flag != 'on'")
        assert got == sorted([models["alpha"], models["beta"], models["Delta"]])

    def test_or_and_parentheses(self, mlflow_client, models, unique):
        got = rm_names(mlflow_client, f"name = '{models['alpha']}' OR name = '{models['beta']}'")
        assert got == sorted([models["alpha"], models["beta"]])
        got = rm_names(
            mlflow_client,
            f"name LIKE 's-{unique}%' AND (tags.flag = 'on' OR name = '{models['Delta']}')",
        )
        assert got == sorted([models["gamma"], models["Delta"]])

    def test_prompts_are_excluded_by_the_appended_clause(self, server_url, mlflow_client, models, unique):
        prompt = f"s-{unique}-prompt"
        # The client refuses to create prompts as models, so over the wire.
        call(server_url, "POST", "/registered-models/create",
             {"name": prompt, "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]})
        assert prompt not in rm_names(mlflow_client, f"name LIKE 's-{unique}%'")
        # A raw search without the clause excludes prompts too; asking for them finds them.
        raw = call(server_url, "GET", "/registered-models/search", params={"filter": f"name LIKE 's-{unique}%'"})
        assert prompt not in [m["name"] for m in raw.json()["registered_models"]]
        asked = call(server_url, "GET", "/registered-models/search",
                     params={"filter": "tags.`mlflow.prompt.is_prompt` = 'true' AND name LIKE 's-%'"})
        assert prompt in [m["name"] for m in asked.json()["registered_models"]]

    def test_order_by_name_and_timestamp(self, mlflow_client, models, unique):
        filt = f"name LIKE 's-{unique}%'"
        desc = [m.name for m in mlflow_client.search_registered_models(filt, order_by=["name DESC"])]
        assert desc == sorted(models.values(), reverse=True)
        mlflow_client.update_registered_model(models["beta"], description="touched")
        by_time = [m.name for m in mlflow_client.search_registered_models(filt, order_by=["last_updated_timestamp DESC"])]
        assert by_time[0] == models["beta"]
        by_ts = [m.name for m in mlflow_client.search_registered_models(filt, order_by=["timestamp DESC"])]
        assert by_ts[0] == models["beta"]

    def test_paging_through_everything_with_tokens(self, mlflow_client, models, unique):
        filt = f"name LIKE 's-{unique}%'"
        seen, token = [], None
        while True:
            page = mlflow_client.search_registered_models(filt, max_results=1, page_token=token)
            seen.extend(m.name for m in page)
            token = page.token
            if not token:
                break
        assert seen == sorted(models.values())

    def test_fluent_search_pages_through_all(self, mlflow_client, models, unique):
        got = sorted(m.name for m in mlflow.search_registered_models(filter_string=f"name LIKE 's-{unique}%'"))
        assert got == sorted(models.values())

    def test_results_carry_latest_versions_tags_and_aliases(self, mlflow_client, models):
        mlflow_client.set_registered_model_alias(models["alpha"], "champ", "2")
        (rm,) = mlflow_client.search_registered_models(f"name = '{models['alpha']}'")
        assert [v.version for v in rm.latest_versions] == ["3"]
        assert rm.tags == {"team": "red"} and rm.aliases == {"champ": "2"}

    @pytest.mark.parametrize(
        "params",
        [{"max_results": 1001}, {"max_results": 0}, {"filter": "name = "}, {"filter": "run_id = 'x'"},
         {"filter": "tags.a > 'x'"}, {"order_by": "bogus"}, {"page_token": "not-a-token"}],
    )
    def test_invalid_requests_are_400(self, server_url, params):
        resp = call(server_url, "GET", "/registered-models/search", params=params)
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")


def mv_ids(client, filt, **kw):
    return [(m.name, m.version) for m in client.search_model_versions(filt, **kw)]


class TestSearchModelVersions:
    def test_name_and_default_order(self, mlflow_client, models):
        got = mv_ids(mlflow_client, f"name = '{models['alpha']}'")
        assert got == [(models["alpha"], "3"), (models["alpha"], "2"), (models["alpha"], "1")]

    def test_name_in_and_like(self, mlflow_client, models, unique):
        got = mv_ids(mlflow_client, f"name IN ('{models['beta']}')")
        assert got == [(models["beta"], "1")]
        assert len(mv_ids(mlflow_client, f"name LIKE 's-{unique}-%'")) == 4

    def test_version_number_comparisons(self, mlflow_client, models):
        base = f"name = '{models['alpha']}'"
        assert [v for _, v in mv_ids(mlflow_client, f"{base} AND version_number > 1")] == ["3", "2"]
        assert [v for _, v in mv_ids(mlflow_client, f"{base} AND version_number >= 3")] == ["3"]
        assert [v for _, v in mv_ids(mlflow_client, f"{base} AND version_number < 2")] == ["1"]
        assert [v for _, v in mv_ids(mlflow_client, f"{base} AND version_number <= 2")] == ["2", "1"]
        assert [v for _, v in mv_ids(mlflow_client, f"{base} AND version_number != 2")] == ["3", "1"]
        assert [v for _, v in mv_ids(mlflow_client, f"{base} AND version_number = 2")] == ["2"]

    def test_source_path_and_tags(self, mlflow_client, models, unique):
        got = mv_ids(mlflow_client, f"source_path = 's3://b/{unique}/alpha/1'")
        assert got == [(models["alpha"], "2")]
        got = mv_ids(mlflow_client, f"source_path LIKE 's3://b/{unique}/%' AND tags.v = '0'")
        assert got == [(models["alpha"], "1")]
        got = mv_ids(mlflow_client, f"name = '{models['alpha']}' AND tags.v != '0'")
        assert [v for _, v in got] == ["3", "2"]

    def test_run_id_filters(self, mlflow_client, models, unique):
        # Versions without a run id never match run_id = / IN.
        assert mv_ids(mlflow_client, f"run_id = 'nothing' AND name LIKE 's-{unique}%'") == []
        assert mv_ids(mlflow_client, f"run_id IN ('a', 'b') AND name LIKE 's-{unique}%'") == []

    def test_or_and_parentheses(self, mlflow_client, models):
        filt = (f"(name = '{models['alpha']}' AND version_number = 1) OR "
                f"(name = '{models['beta']}' AND version_number = 1)")
        got = mv_ids(mlflow_client, filt, order_by=["name ASC"])
        assert got == [(models["alpha"], "1"), (models["beta"], "1")]

    def test_order_by_and_tie_breakers(self, mlflow_client, models, unique):
        filt = f"name LIKE 's-{unique}%'"
        got = mv_ids(mlflow_client, filt, order_by=["version_number ASC"])
        assert got == [(models["alpha"], "1"), (models["beta"], "1"), (models["alpha"], "2"), (models["alpha"], "3")]
        got = mv_ids(mlflow_client, filt, order_by=["name DESC"])
        assert got == [(models["beta"], "1"), (models["alpha"], "3"), (models["alpha"], "2"), (models["alpha"], "1")]
        assert mv_ids(mlflow_client, filt, order_by=["creation_timestamp ASC"])[0] == (models["alpha"], "1")

    def test_paging_through_everything_with_tokens(self, mlflow_client, models, unique):
        filt = f"name LIKE 's-{unique}%'"
        seen, token = [], None
        while True:
            page = mlflow_client.search_model_versions(filt, max_results=3, page_token=token)
            seen.extend((m.name, m.version) for m in page)
            token = page.token
            if not token:
                break
        assert seen == mv_ids(mlflow_client, filt)
        assert len(seen) == 4

    @pytest.mark.parametrize(
        "params",
        [{"max_results": 200001}, {"filter": "version_number > 'abc'"}, {"filter": "version_number LIKE '1'"},
         {"filter": "source_path IN ('a')"}, {"filter": "metrics.x > 1"}, {"order_by": "run_id"},
         {"order_by": ["name", "name DESC"]}],
    )
    def test_invalid_requests_are_400(self, server_url, params):
        resp = call(server_url, "GET", "/model-versions/search", params=params)
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")


class TestSeekPaging:
    """Pages continue after the last row seen (search/keyset.py), so a deep page costs what the first does
    and rows created meanwhile do not shift a walk already under way."""

    def test_versions_created_during_a_walk_neither_repeat_nor_skip_rows(self, mlflow_client, models, unique):
        filt = f"name LIKE 's-{unique}%'"
        before = mv_ids(mlflow_client, filt)
        first = mlflow_client.search_model_versions(filt, max_results=2)
        # Newest first (last_updated_timestamp DESC): a new version sorts before the rows already seen,
        # and with an offset cursor it would push one of them onto the next page again.
        mlflow_client.create_model_version(models["gamma"], f"s3://b/{unique}/gamma/0")
        rest, token = [], first.token
        while token:
            page = mlflow_client.search_model_versions(filt, max_results=2, page_token=token)
            rest.extend((m.name, m.version) for m in page)
            token = page.token
        assert [(m.name, m.version) for m in first] + rest == before

    def test_models_created_during_a_walk_do_not_repeat_rows(self, mlflow_client, models, unique):
        filt = f"name LIKE 's-{unique}%'"
        first = mlflow_client.search_registered_models(filt, max_results=2)
        mlflow_client.create_registered_model(f"s-{unique}-aardvark")  # sorts before every row seen
        rest, token = [], first.token
        while token:
            page = mlflow_client.search_registered_models(filt, max_results=2, page_token=token)
            rest.extend(m.name for m in page)
            token = page.token
        assert [m.name for m in first] + rest == sorted(models.values())

    @pytest.mark.parametrize("path", ["/registered-models/search", "/model-versions/search"])
    def test_crafted_position_is_400_and_offset_cursor_still_works(self, server_url, models, unique, path):
        filt = f"name LIKE 's-{unique}%'"
        page = call(server_url, "GET", path, params={"filter": filt, "max_results": 1}).json()
        data = orjson.loads(base64.b64decode(page["next_page_token"]))
        data["after"] = [{"$gt": ""}] * len(data["after"])
        forged = base64.b64encode(orjson.dumps(data)).decode()
        resp = call(server_url, "GET", path, params={"filter": filt, "max_results": 1, "page_token": forged})
        assert error(resp)[:2] == (400, "INVALID_PARAMETER_VALUE")
        # The official server's cursor shape, {"offset": N}, is still understood.
        plain = base64.b64encode(orjson.dumps({"offset": 1})).decode()
        resp = call(server_url, "GET", path, params={"filter": filt, "max_results": 1, "page_token": plain})
        assert resp.status_code == 200
        second = call(server_url, "GET", path, params={"filter": filt, "max_results": 1,
                                                       "page_token": page["next_page_token"]}).json()
        assert resp.json() == second
