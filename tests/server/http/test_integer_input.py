"""Integers a user gives (ids, versions, steps, max_results, page-token offsets): ASCII digits within the
column's range, or a 400 that changes nothing; never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.http.bad_input_world import World, build_world

BIG = "99999999999999999999"
# Too big for an INTEGER column (int32 on both backends) / for a BIGINT column (int64).
INT32_OVER = [str(2**31), str(2**63), BIG]
INT64_OVER = [str(2**63), BIG, "-" + str(2**63 + 1)]
# Digits that are not ASCII: str.isdigit() and int() take them, the API must not.
UNICODE_DIGITS = ["¹²³", "٣", "３"]


@pytest.fixture(scope="module")
def world(live_server) -> World:
    w = build_world(live_server.url, uuid.uuid4().hex[:10])
    yield w
    w.client.close()


def invalid(r) -> dict:
    return assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestGetExperiment:
    @pytest.mark.parametrize("experiment_id", INT32_OVER + UNICODE_DIGITS)
    def test_out_of_range_or_non_ascii_id_is_400(self, world: World, experiment_id: str) -> None:
        invalid(world.get("/experiments/get", experiment_id=experiment_id))

    def test_unicode_digit_does_not_resolve_to_an_existing_experiment(self, world: World) -> None:
        # The world's experiment id written with Arabic-Indic digits must not find it.
        arabic = "".join(chr(0x660 + int(d)) for d in world.experiment_id)
        invalid(world.get("/experiments/get", experiment_id=arabic))


class TestUpdateAndDeleteExperiment:
    @pytest.mark.parametrize("experiment_id", INT32_OVER + UNICODE_DIGITS)
    def test_rename_with_bad_id_is_400_and_creates_nothing(self, world: World, experiment_id: str) -> None:
        new_name = f"renamed-{uuid.uuid4().hex[:8]}"
        invalid(world.post("/experiments/update", {"experiment_id": experiment_id, "new_name": new_name}))
        assert new_name not in world.experiment_names()

    @pytest.mark.parametrize("experiment_id", INT32_OVER)
    def test_delete_with_bad_id_is_400(self, world: World, experiment_id: str) -> None:
        invalid(world.post("/experiments/delete", {"experiment_id": experiment_id}))
        assert world.get("/experiments/get", experiment_id=world.experiment_id).status_code == 200


class TestGetModelVersion:
    @pytest.mark.parametrize("version", INT32_OVER + UNICODE_DIGITS + [" 1", "+1", "1_0", "-1"])
    @pytest.mark.parametrize("path", ["/model-versions/get", "/model-versions/get-download-uri"])
    def test_bad_version_is_400(self, world: World, path: str, version: str) -> None:
        body = invalid(world.get(path, name=world.model, version=version))
        assert "version" in body["message"]

    def test_unicode_digit_does_not_resolve_to_another_version(self, world: World) -> None:
        # '٣' is 3 for int(); version 3 exists, and must not be what '٣' returns.
        assert world.get("/model-versions/get", name=world.model, version="3").status_code == 200
        invalid(world.get("/model-versions/get", name=world.model, version="٣"))


class TestTransitionStage:
    @pytest.mark.parametrize("version", INT32_OVER + UNICODE_DIGITS)
    def test_bad_version_is_400_and_no_version_moves(self, world: World, version: str) -> None:
        invalid(world.post(
            "/model-versions/transition-stage", {"name": world.model, "version": version, "stage": "Staging"}
        ))
        r = world.get("/model-versions/search", filter=f"name = '{world.model}'")
        assert {v["current_stage"] for v in r.json()["model_versions"]} == {"None"}


class TestSetRegisteredModelAlias:
    @pytest.mark.parametrize("version", INT32_OVER + ["²"])
    def test_bad_version_is_400_and_sets_no_alias(self, world: World, version: str) -> None:
        invalid(world.post("/registered-models/alias", {"name": world.model, "alias": "champ", "version": version}))
        invalid(world.get("/registered-models/alias", name=world.model, alias="champ"))


class TestGetMetricHistory:
    @pytest.mark.parametrize("max_results", INT32_OVER + UNICODE_DIGITS)
    def test_bad_max_results_is_400(self, world: World, max_results: str) -> None:
        invalid(world.get("/metrics/get-history", run_id=world.run_id, metric_key="m", max_results=max_results))


class TestLogMetric:
    @pytest.mark.parametrize("field", ["step", "timestamp"])
    @pytest.mark.parametrize("value", INT64_OVER + UNICODE_DIGITS + [int(BIG), 2**63, 1.5, True])
    def test_bad_integer_is_400_and_logs_nothing(self, world: World, field: str, value: object) -> None:
        body = {"run_id": world.run_id, "key": "m", "value": 1.0, "timestamp": 2, "step": 2, field: value}
        message = invalid(world.post("/runs/log-metric", body))["message"]
        assert f"parameter '{field}'" in message
        assert world.metric_steps() == [1]

    def test_largest_step_is_accepted(self, world: World) -> None:
        body = {"run_id": world.run_id, "key": "edge", "value": 1.0, "timestamp": 2, "step": str(2**63 - 1)}
        assert world.post("/runs/log-metric", body).status_code == 200
        assert world.metric_steps("edge") == [2**63 - 1]


class TestLogBatch:
    @pytest.mark.parametrize("value", [BIG, "٣"])
    def test_bad_step_in_batch_is_400_and_logs_nothing(self, world: World, value: str) -> None:
        metrics = [{"key": "m", "value": 1.0, "timestamp": 3, "step": 3},
                   {"key": "m", "value": 1.0, "timestamp": 3, "step": value}]
        invalid(world.post("/runs/log-batch", {"run_id": world.run_id, "metrics": metrics}))
        assert world.metric_steps() == [1]


class TestCreateRun:
    @pytest.mark.parametrize("start_time", [int(BIG), BIG, "٣"])
    def test_bad_start_time_is_400_and_creates_no_run(self, world: World, start_time: object) -> None:
        before = world.post("/runs/search", {"experiment_ids": [world.experiment_id]}).json()["runs"]
        invalid(world.post("/runs/create", {"experiment_id": world.experiment_id, "start_time": start_time}))
        after = world.post("/runs/search", {"experiment_ids": [world.experiment_id]}).json()["runs"]
        assert len(after) == len(before)


class TestSearchRuns:
    @pytest.mark.parametrize("max_results", [int(BIG), str(2**31), "٣"])
    def test_bad_max_results_is_400(self, world: World, max_results: object) -> None:
        invalid(world.post("/runs/search", {"experiment_ids": [world.experiment_id], "max_results": max_results}))

    @pytest.mark.parametrize("experiment_id", INT32_OVER + UNICODE_DIGITS)
    def test_bad_experiment_id_is_400(self, world: World, experiment_id: str) -> None:
        invalid(world.post("/runs/search", {"experiment_ids": [experiment_id]}))

    @pytest.mark.parametrize("offset", [2**31, 2**63, 10**20, -1])
    def test_page_token_offset_out_of_range_is_400(self, world: World, offset: int) -> None:
        token = base64.b64encode(b'{"offset": %d}' % offset).decode()
        invalid(world.post("/runs/search", {"experiment_ids": [world.experiment_id], "page_token": token}))


class TestSearchLoggedModels:
    @pytest.mark.parametrize("experiment_id", INT32_OVER)
    def test_bad_experiment_id_is_400(self, world: World, experiment_id: str) -> None:
        invalid(world.post("/logged-models/search", {"experiment_ids": [experiment_id]}))


class TestSearchExperiments:
    @pytest.mark.parametrize("max_results", [BIG, str(2**31), "٣"])
    def test_bad_max_results_is_400(self, world: World, max_results: str) -> None:
        invalid(world.get("/experiments/search", max_results=max_results))


class TestSearchRegisteredModels:
    @pytest.mark.parametrize("max_results", [BIG, str(2**31), "¹"])
    def test_bad_max_results_is_400(self, world: World, max_results: str) -> None:
        invalid(world.get("/registered-models/search", max_results=max_results))

    @pytest.mark.parametrize("offset", [2**31, 2**63, 10**20])
    def test_page_token_offset_out_of_range_is_400(self, world: World, offset: int) -> None:
        token = base64.b64encode(b'{"offset": %d}' % offset).decode()
        invalid(world.get("/registered-models/search", page_token=token))


class TestSearchModelVersions:
    @pytest.mark.parametrize("offset", [2**31, 2**63, 10**20])
    def test_page_token_offset_out_of_range_is_400(self, world: World, offset: int) -> None:
        token = base64.b64encode(b'{"offset": %d}' % offset).decode()
        invalid(world.get("/model-versions/search", page_token=token))


class TestCreateToken:
    @pytest.mark.parametrize("lifetime", [2**62, 2**63 - 1, str(2**63), "٣"])
    def test_lifetime_beyond_the_expiry_column_is_400(self, auth_server, lifetime: object) -> None:
        r = httpx.post(f"{auth_server.url}/api/2.0/token/create", json={"lifetime_seconds": lifetime},
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        invalid(r)


class TestScimIdentityIds:
    def test_unicode_digits_do_not_resolve_to_an_identity(self, auth_server) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        scim = f"{auth_server.url}/api/2.0/preview/scim/v2"
        admin_id = httpx.get(f"{scim}/Me", headers=headers).json()["id"]
        assert httpx.get(f"{scim}/Users/{admin_id}", headers=headers).status_code == 200
        arabic = "".join(chr(0x660 + int(d)) for d in str(admin_id))
        for bad in (arabic, str(2**31 + int(admin_id)), str(2**64)):
            assert_error(httpx.get(f"{scim}/Users/{bad}", headers=headers), 404, "RESOURCE_DOES_NOT_EXIST")
