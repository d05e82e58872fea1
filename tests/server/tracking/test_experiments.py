"""MLflow experiments API against a live server, through the mlflow client and raw HTTP."""

from __future__ import annotations

import httpx
import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from tests.fixtures.wire import API, assert_error


class TestCreateExperiment:
    def test_create_then_get_has_default_artifact_location(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"exp-{unique}", tags={"team": "a"})
        exp = mlflow_client.get_experiment(eid)
        assert exp.name == f"exp-{unique}"
        assert exp.artifact_location == f"mlflow-artifacts:/{eid}"
        assert exp.lifecycle_stage == "active"
        assert exp.tags == {"team": "a"}
        assert exp.creation_time > 0 and exp.last_update_time >= exp.creation_time

    def test_explicit_artifact_location_is_kept(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"exp-{unique}", artifact_location="s3://bucket/x")
        assert mlflow_client.get_experiment(eid).artifact_location == "s3://bucket/x"

    def test_duplicate_name_is_resource_already_exists(self, server_url: str, unique: str) -> None:
        body = {"name": f"dup-{unique}"}
        assert httpx.post(f"{server_url}{API}/experiments/create", json=body).status_code == 200
        r = httpx.post(f"{server_url}{API}/experiments/create", json=body)
        assert_error(r, 400, "RESOURCE_ALREADY_EXISTS")

    def test_missing_name_is_invalid_parameter(self, server_url: str) -> None:
        assert_error(
            httpx.post(f"{server_url}{API}/experiments/create", json={}), 400, "INVALID_PARAMETER_VALUE"
        )

    def test_too_long_name_is_invalid_parameter(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}{API}/experiments/create", json={"name": "x" * 501})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_set_experiment_auto_creates(self, mlflow_client, unique: str) -> None:
        exp = mlflow.set_experiment(f"auto-{unique}")
        assert exp.name == f"auto-{unique}"
        again = mlflow.set_experiment(f"auto-{unique}")
        assert again.experiment_id == exp.experiment_id


class TestGetExperiment:
    def test_default_experiment_exists(self, mlflow_client) -> None:
        exp = mlflow_client.get_experiment("0")
        assert exp.name == "Default"
        assert exp.artifact_location == "mlflow-artifacts:/0"

    def test_missing_id_is_404(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}{API}/experiments/get", params={"experiment_id": "987654"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_non_integer_id_is_400(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}{API}/experiments/get", params={"experiment_id": "abc"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestGetExperimentByName:
    def test_found(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"byname-{unique}")
        assert mlflow_client.get_experiment_by_name(f"byname-{unique}").experiment_id == eid

    def test_missing_returns_none_through_client(self, mlflow_client, unique: str) -> None:
        assert mlflow_client.get_experiment_by_name(f"nope-{unique}") is None

    def test_missing_is_404_resource_does_not_exist(self, server_url: str, unique: str) -> None:
        r = httpx.get(
            f"{server_url}{API}/experiments/get-by-name", params={"experiment_name": f"no-{unique}"}
        )
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestUpdateExperiment:
    def test_rename(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"old-{unique}")
        mlflow_client.rename_experiment(eid, f"new-{unique}")
        assert mlflow_client.get_experiment(eid).name == f"new-{unique}"
        assert mlflow_client.get_experiment_by_name(f"old-{unique}") is None

    def test_rename_to_existing_name_is_already_exists(
        self, server_url: str, mlflow_client, unique: str
    ) -> None:
        mlflow_client.create_experiment(f"a-{unique}")
        eid = mlflow_client.create_experiment(f"b-{unique}")
        r = httpx.post(
            f"{server_url}{API}/experiments/update", json={"experiment_id": eid, "new_name": f"a-{unique}"}
        )
        assert_error(r, 400, "RESOURCE_ALREADY_EXISTS")

    def test_rename_deleted_experiment_is_rejected(self, server_url: str, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"del-{unique}")
        mlflow_client.delete_experiment(eid)
        r = httpx.post(f"{server_url}{API}/experiments/update", json={"experiment_id": eid, "new_name": "z"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestDeleteRestoreExperiment:
    def test_delete_and_restore_with_runs(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"dr-{unique}")
        run = mlflow_client.create_run(eid)
        mlflow_client.delete_experiment(eid)
        assert mlflow_client.get_experiment(eid).lifecycle_stage == "deleted"
        assert mlflow_client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
        mlflow_client.restore_experiment(eid)
        assert mlflow_client.get_experiment(eid).lifecycle_stage == "active"
        assert mlflow_client.get_run(run.info.run_id).info.lifecycle_stage == "active"

    def test_delete_missing_is_404(self, server_url: str) -> None:
        r = httpx.post(f"{server_url}{API}/experiments/delete", json={"experiment_id": "99999999"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_view_types(self, mlflow_client, unique: str) -> None:
        a = mlflow_client.create_experiment(f"vt-a-{unique}")
        b = mlflow_client.create_experiment(f"vt-b-{unique}")
        mlflow_client.delete_experiment(b)
        flt = f"name LIKE 'vt-%-{unique}'"
        active = {e.experiment_id for e in mlflow_client.search_experiments(filter_string=flt)}
        deleted = {
            e.experiment_id
            for e in mlflow_client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=flt)
        }
        both = {
            e.experiment_id
            for e in mlflow_client.search_experiments(view_type=ViewType.ALL, filter_string=flt)
        }
        assert active == {a} and deleted == {b} and both == {a, b}


class TestExperimentTags:
    def test_set_and_delete_tag(self, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"tags-{unique}")
        mlflow_client.set_experiment_tag(eid, "k", "v1")
        mlflow_client.set_experiment_tag(eid, "k", "v2")
        assert mlflow_client.get_experiment(eid).tags == {"k": "v2"}
        mlflow_client.delete_experiment_tag(eid, "k")
        assert mlflow_client.get_experiment(eid).tags == {}

    def test_delete_missing_tag_is_404(self, server_url: str, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"tags-{unique}")
        r = httpx.post(
            f"{server_url}{API}/experiments/delete-experiment-tag", json={"experiment_id": eid, "key": "nope"}
        )
        body = assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        assert "No tag with name: nope" in body["message"]


class TestSearchExperiments:
    def test_filters(self, mlflow_client, unique: str) -> None:
        e1 = mlflow_client.create_experiment(f"s-one-{unique}", tags={"grp": "x", "lvl": "Hi"})
        e2 = mlflow_client.create_experiment(f"s-two-{unique}", tags={"grp": "y"})

        def ids(flt: str) -> set[str]:
            return {e.experiment_id for e in mlflow_client.search_experiments(filter_string=flt)}

        assert ids(f"name = 's-one-{unique}'") == {e1}
        assert ids(f"name LIKE 's-%-{unique}'") == {e1, e2}
        assert ids(f"name LIKE 'S-%-{unique}'") == set()
        assert ids(f"name ILIKE 'S-%-{unique}'") == {e1, e2}
        assert ids(f"name LIKE 's-%-{unique}' AND tags.grp = 'x'") == {e1}
        assert ids(f"name LIKE 's-%-{unique}' AND tags.lvl IS NULL") == {e2}
        assert ids(f"name LIKE 's-%-{unique}' AND tags.lvl IS NOT NULL") == {e1}
        assert ids(f"name LIKE 's-%-{unique}' AND tags.lvl ILIKE 'hi'") == {e1}
        assert ids(f"experiment_id IN ('{e1}', '{e2}')") == {e1, e2}
        assert ids(f"name LIKE 's-%-{unique}' AND creation_time > 0") == {e1, e2}

    def test_order_by_and_paging(self, mlflow_client, unique: str) -> None:
        made = [mlflow_client.create_experiment(f"p-{i}-{unique}") for i in range(5)]
        flt = f"name LIKE 'p-%-{unique}'"
        page1 = mlflow_client.search_experiments(filter_string=flt, max_results=2, order_by=["name DESC"])
        assert [e.name for e in page1] == [f"p-4-{unique}", f"p-3-{unique}"]
        seen = [e.experiment_id for e in page1]
        token = page1.token
        while token:
            page = mlflow_client.search_experiments(
                filter_string=flt, max_results=2, order_by=["name DESC"], page_token=token
            )
            seen += [e.experiment_id for e in page]
            token = page.token
        assert seen == list(reversed(made))

    def test_default_order_is_newest_first(self, mlflow_client, unique: str) -> None:
        made = [mlflow_client.create_experiment(f"o-{i}-{unique}") for i in range(3)]
        got = [
            e.experiment_id
            for e in mlflow_client.search_experiments(filter_string=f"name LIKE 'o-%-{unique}'")
        ]
        assert got == list(reversed(made))

    def test_get_method_is_supported(self, server_url: str, mlflow_client, unique: str) -> None:
        mlflow_client.create_experiment(f"get-{unique}")
        r = httpx.get(
            f"{server_url}{API}/experiments/search",
            params={"filter": f"name = 'get-{unique}'", "max_results": 5},
        )
        assert r.status_code == 200 and len(r.json()["experiments"]) == 1

    @pytest.mark.parametrize(
        "body",
        [
            {"filter": "name = 'a' OR name = 'b'"},
            {"filter": "bogus_attr = 'x'"},
            {"filter": "metrics.m > 1"},
            {"filter": "name >< 'x'"},
            {"order_by": ["bogus DESC"]},
            {"max_results": 50001},
            {"page_token": "not-a-token"},
            {"view_type": "SOMETIMES"},
        ],
    )
    def test_bad_requests_are_400(self, server_url: str, body: dict) -> None:
        r = httpx.post(f"{server_url}{API}/experiments/search", json=body)
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_client_raises_on_bad_filter(self, mlflow_client) -> None:
        with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
            mlflow_client.search_experiments(filter_string="name = 'a' OR name = 'b'")


class TestSearchDatasets:
    URL = "/ajax-api/2.0/mlflow/experiments/search-datasets"

    @staticmethod
    def _log(client, run_id: str, name: str, digest: str, context: str | None) -> None:
        from mlflow.entities import Dataset, DatasetInput, InputTag

        tags = [InputTag("mlflow.data.context", context)] if context else []
        client.log_inputs(run_id, [DatasetInput(Dataset(name, digest, "local", "src"), tags=tags)])

    def test_summaries_of_the_datasets_runs_used(self, server_url: str, mlflow_client, unique: str) -> None:
        eid = mlflow_client.create_experiment(f"datasets-{unique}")
        other = mlflow_client.create_experiment(f"datasets-other-{unique}")
        r1, r2 = (mlflow_client.create_run(eid).info.run_id for _ in range(2))
        self._log(mlflow_client, r1, "train", "d1", "training")
        self._log(mlflow_client, r2, "train", "d1", "training")  # the same summary once
        self._log(mlflow_client, r2, "eval", "d2", None)
        self._log(mlflow_client, mlflow_client.create_run(other).info.run_id, "elsewhere", "d3", "training")
        body = httpx.post(f"{server_url}{self.URL}", json={"experiment_ids": [eid]}).json()
        assert sorted(body["dataset_summaries"], key=lambda s: s["name"]) == [
            {"experiment_id": eid, "name": "eval", "digest": "d2"},
            {"experiment_id": eid, "name": "train", "digest": "d1", "context": "training"},
        ]

    @pytest.mark.parametrize(("body", "message"), [
        ({}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": []}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": [str(i) for i in range(21)]},
         "SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids."),
    ])
    def test_bad_requests_are_400_in_mlflow_words(self, server_url: str, body: dict, message: str) -> None:
        err = assert_error(httpx.post(f"{server_url}{self.URL}", json=body), 400, "INVALID_PARAMETER_VALUE")
        assert err["message"] == message


class TestListExperimentsDatabricks:
    """databricks-sdk's w.experiments.list_experiments() calls the MLflow 1.x GET experiments/list."""

    def test_sdk_lists_every_page_with_view_types(self, live_server, mlflow_client, unique: str) -> None:
        from databricks.sdk.service.ml import ViewType as SdkViewType

        from tests.fixtures.identities import workspace_client

        active = mlflow_client.create_experiment(f"list-{unique}")
        deleted = mlflow_client.create_experiment(f"list-deleted-{unique}")
        mlflow_client.delete_experiment(deleted)
        w = workspace_client(live_server.url, "unused")
        listed = {e.experiment_id: e for e in w.experiments.list_experiments(max_results=1)}
        assert active in listed and deleted not in listed
        assert listed[active].name == f"list-{unique}"
        assert listed[active].artifact_location == f"mlflow-artifacts:/{active}"
        only_deleted = {e.experiment_id for e in w.experiments.list_experiments(view_type=SdkViewType.DELETED_ONLY)}
        assert deleted in only_deleted and active not in only_deleted
