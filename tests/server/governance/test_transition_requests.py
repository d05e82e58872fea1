"""Transition requests end to end with the unmodified databricks-sdk (`w.model_registry.*`): request,
approve (with archive_existing_versions), reject, cancel, the open-request views, bad input, and 401s."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import DatabricksError

from tests.fixtures.wire import assert_error
from tests.server.governance.governance_helpers import Person, Registry


@pytest.fixture(scope="module")
def reg(auth_server, identities):
    registry = Registry(auth_server.url, identities)
    yield registry
    registry.close()


@pytest.fixture(scope="module")
def people(reg) -> dict[str, Person]:
    return {role: reg.person() for role in ("requester", "reader", "staging", "production", "manager")}


LEVEL_OF = {
    "requester": "CAN_READ",
    "reader": "CAN_READ",
    "staging": "CAN_MANAGE_STAGING_VERSIONS",
    "production": "CAN_MANAGE_PRODUCTION_VERSIONS",
    "manager": "CAN_MANAGE",
}


@pytest.fixture
def model(reg, people) -> str:
    """A fresh model with versions 1..3 in None, each person holding its one level on it."""
    name, rm_id = reg.model("tr", versions=3)
    for role, person in people.items():
        reg.grant(rm_id, person, LEVEL_OF[role])
    return name


def error_code(exc: DatabricksError) -> str:
    return str(exc.error_code)


class TestRequestAndApprove:
    def test_approve_with_archive_existing_moves_the_version_and_archives_the_others(self, reg, people, model):
        reg.stage(model, "1", "Production")
        reg.stage(model, "2", "Production")
        created = people["requester"].sdk.model_registry.create_transition_request(
            model, "3", "Production", comment="ready for prod")
        assert created.request.to_stage == "Production"
        assert created.request.user_id == people["requester"].name
        assert created.request.comment == "ready for prod"

        approver = people["production"]
        approved = approver.sdk.model_registry.approve_transition_request(
            model, "3", "production", archive_existing_versions=True, comment="ship it")
        activity = approved.activity
        assert activity.activity_type.value == "APPROVED_REQUEST"
        assert (activity.from_stage, activity.to_stage) == ("None", "Production")
        assert activity.user_id == approver.name
        assert activity.comment == "ship it"
        assert people["requester"].name in activity.system_comment

        assert [reg.current_stage(model, v) for v in "123"] == ["Archived", "Archived", "Production"]
        assert reg.open_requests(model, "3") == []
        for archived in "12":
            last = reg.activities(model, archived)[-1]
            assert last["activity_type"] == "SYSTEM_TRANSITION"
            assert (last["from_stage"], last["to_stage"]) == ("Production", "Archived")
            assert "version 3" in last["system_comment"]
            assert last["user_id"] == approver.name

    def test_approve_without_archive_leaves_other_versions_in_the_stage(self, reg, people, model):
        reg.stage(model, "1", "Staging")
        reg.request(people["requester"], model, "2", "Staging")
        people["staging"].sdk.model_registry.approve_transition_request(model, "2", "Staging", False)
        assert [reg.current_stage(model, v) for v in "12"] == ["Staging", "Staging"]

    def test_approve_resolves_every_open_request_for_that_stage_and_no_other(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging")
        reg.request(people["reader"], model, "1", "Staging")
        reg.request(people["reader"], model, "1", "Production")
        people["manager"].sdk.model_registry.approve_transition_request(model, "1", "Staging", False)
        assert [(r["to_stage"], r["user_id"]) for r in reg.open_requests(model, "1")] == [
            ("Production", people["reader"].name)
        ]

    def test_approve_with_no_open_request_is_404_and_changes_nothing(self, reg, people, model):
        before = reg.snapshot(model, "1")
        with pytest.raises(DatabricksError) as err:
            people["manager"].sdk.model_registry.approve_transition_request(model, "1", "Staging", False)
        assert error_code(err.value) == "RESOURCE_DOES_NOT_EXIST"
        assert reg.snapshot(model, "1") == before


    def test_approving_a_request_for_the_stage_the_version_already_reached_is_400(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging")
        reg.stage(model, "1", "Staging")
        before = reg.activities(model, "1")
        with pytest.raises(DatabricksError) as err:
            people["manager"].sdk.model_registry.approve_transition_request(model, "1", "Staging", False)
        assert error_code(err.value) == "INVALID_PARAMETER_VALUE"
        assert reg.activities(model, "1") == before
        # The stale request can still be settled: its requester cancels it.
        people["requester"].sdk.model_registry.delete_transition_request(
            model, "1", "Staging", people["requester"].name)
        assert reg.open_requests(model, "1") == []


class TestReject:
    def test_reject_closes_the_request_and_keeps_the_stage(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging", comment="please")
        rejected = people["staging"].sdk.model_registry.reject_transition_request(
            model, "1", "Staging", comment="tests are red")
        assert rejected.activity.activity_type.value == "REJECTED_REQUEST"
        assert (rejected.activity.from_stage, rejected.activity.to_stage) == ("None", "Staging")
        assert rejected.activity.comment == "tests are red"
        assert reg.current_stage(model, "1") == "None"
        assert reg.open_requests(model, "1") == []

    def test_reject_with_no_open_request_is_404(self, reg, people, model):
        with pytest.raises(DatabricksError) as err:
            people["manager"].sdk.model_registry.reject_transition_request(model, "1", "Production")
        assert error_code(err.value) == "RESOURCE_DOES_NOT_EXIST"


class TestCancel:
    def test_requester_cancels_own_request(self, reg, people, model):
        requester = people["requester"]
        reg.request(requester, model, "1", "Production")
        cancelled = requester.sdk.model_registry.delete_transition_request(
            model, "1", "Production", requester.name, comment="not yet")
        assert cancelled.activity.activity_type.value == "CANCELLED_REQUEST"
        assert cancelled.activity.user_id == requester.name
        assert cancelled.activity.comment == "not yet"
        assert reg.open_requests(model, "1") == []

    def test_manager_cancels_someone_elses_request(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging")
        people["manager"].sdk.model_registry.delete_transition_request(
            model, "1", "staging", people["requester"].name)
        assert reg.open_requests(model, "1") == []

    @pytest.mark.parametrize("role", ["reader", "production"])
    def test_non_creator_without_manage_gets_403_and_the_request_stays(self, reg, people, model, role):
        reg.request(people["requester"], model, "1", "Staging")
        before = reg.snapshot(model, "1")
        with pytest.raises(DatabricksError) as err:
            people[role].sdk.model_registry.delete_transition_request(
                model, "1", "Staging", people["requester"].name)
        assert error_code(err.value) == "PERMISSION_DENIED"
        assert reg.snapshot(model, "1") == before

    def test_cancelling_a_request_that_does_not_exist_is_404(self, reg, people, model):
        with pytest.raises(DatabricksError) as err:
            people["requester"].sdk.model_registry.delete_transition_request(
                model, "1", "Staging", people["requester"].name)
        assert error_code(err.value) == "RESOURCE_DOES_NOT_EXIST"


class TestCreateRules:
    def test_a_second_open_request_for_the_same_stage_by_the_same_user_is_refused(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging")
        r = reg.call("POST", "/transition-requests/create", {"name": model, "version": "1", "stage": "staging"},
                     token=people["requester"].token)
        assert_error(r, 400, "RESOURCE_ALREADY_EXISTS")
        # Another user may ask for the same move.
        reg.request(people["reader"], model, "1", "Staging")
        assert len(reg.open_requests(model, "1")) == 2

    def test_requesting_the_current_stage_is_400(self, reg, people, model):
        reg.stage(model, "1", "Staging")
        before = reg.snapshot(model, "1")
        r = reg.call("POST", "/transition-requests/create", {"name": model, "version": "1", "stage": "Staging"},
                     token=people["requester"].token)
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert reg.snapshot(model, "1") == before

    @pytest.mark.parametrize(
        "body,status,code",
        [
            ({"version": "1", "stage": "Deployed"}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "x", "stage": "Staging"}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "1", "stage": "Staging", "comment": "c" * 65536}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "1"}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "99", "stage": "Staging"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ],
        ids=["unknown-stage", "non-integer-version", "comment-too-long", "no-stage", "unknown-version"],
    )
    def test_bad_input_changes_nothing(self, reg, people, model, body, status, code):
        before = reg.snapshot(model, "1")
        r = reg.call("POST", "/transition-requests/create", {"name": model, **body}, token=people["requester"].token)
        assert_error(r, status, code)
        assert reg.snapshot(model, "1") == before

    def test_a_comment_of_65535_characters_is_accepted(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging", comment="c" * 65535)
        assert len(reg.open_requests(model, "1")[0]["comment"]) == 65535

    def test_unknown_model_is_404(self, reg, people):
        r = reg.call("POST", "/transition-requests/create", {"name": "no-such-model-xyz", "version": "1",
                                                           "stage": "Staging"}, token=people["requester"].token)
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    def test_a_caller_without_any_permission_cannot_request(self, reg, model):
        stranger = reg.person()
        r = reg.call("POST", "/transition-requests/create", {"name": model, "version": "1", "stage": "Staging"},
                     token=stranger.token)
        assert_error(r, 403, "PERMISSION_DENIED")


class TestOpenRequestViews:
    def test_list_and_databricks_get_show_the_open_requests(self, reg, people, model):
        requester, reader = people["requester"], people["reader"]
        reg.request(requester, model, "1", "Staging", comment="a")
        reg.request(reader, model, "1", "Production", comment="b")

        listed = list(requester.sdk.model_registry.list_transition_requests(model, "1"))
        assert [(a.activity_type.value, a.from_stage, a.to_stage, a.user_id, a.comment) for a in listed] == [
            ("REQUESTED_TRANSITION", "None", "Staging", requester.name, "a"),
            ("REQUESTED_TRANSITION", "None", "Production", reader.name, "b"),
        ]
        assert all(a.id and a.creation_timestamp for a in listed)

        got = reg.ok("GET", "/databricks/model-versions/get", params={"name": model, "version": "1"},
                     token=requester.token)["model_version_databricks"]
        assert got["name"] == model and got["version"] == "1" and got["current_stage"] == "None"
        assert got["status"] == "READY"
        assert got["permission_level"] == "CAN_READ"
        assert [(r["to_stage"], r["user_id"]) for r in got["open_requests"]] == [
            ("Staging", requester.name), ("Production", reader.name)
        ]

    def test_available_actions_are_computed_for_the_caller(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging")
        reg.request(people["reader"], model, "1", "Production")

        def actions(role: str) -> dict[str, list[str]]:
            rows = reg.open_requests(model, "1", token=people[role].token)
            return {r["to_stage"]: sorted(r.get("available_actions", [])) for r in rows}

        assert actions("requester") == {"Staging": ["CANCEL_TRANSITION_REQUEST"], "Production": []}
        assert actions("staging") == {
            "Staging": ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"], "Production": []}
        assert actions("production") == {
            "Staging": ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"],
            "Production": ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]}
        everything = ["APPROVE_TRANSITION_REQUEST", "CANCEL_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]
        assert actions("manager") == {"Staging": everything, "Production": everything}

    def test_create_returns_the_requesters_actions(self, reg, people, model):
        body = reg.ok("POST", "/transition-requests/create", {"name": model, "version": "1", "stage": "Staging"},
                      token=people["staging"].token)
        assert sorted(body["request"]["available_actions"]) == [
            "APPROVE_TRANSITION_REQUEST", "CANCEL_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]
        assert "id" not in body["request"]

    def test_databricks_get_of_unknown_version_is_404(self, reg, model):
        r = reg.call("GET", "/databricks/model-versions/get", params={"name": model, "version": "42"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestDatabricksTransitionStage:
    def test_transition_with_comment_returns_the_databricks_version(self, reg, people, model):
        resp = people["production"].sdk.model_registry.transition_stage(
            model, "1", "production", archive_existing_versions=False, comment="hotfix")
        mv = resp.model_version_databricks
        assert (mv.name, mv.version, mv.current_stage) == (model, "1", "Production")
        assert mv.permission_level.value == "CAN_MANAGE_PRODUCTION_VERSIONS"
        assert mv.status.value == "READY"
        last = reg.activities(model, "1")[-1]
        assert (last["activity_type"], last["from_stage"], last["to_stage"], last["comment"]) == (
            "APPLIED_TRANSITION", "None", "Production", "hotfix")

    def test_the_response_also_carries_model_version_for_older_sdks(self, reg, model):
        body = reg.ok("POST", "/databricks/model-versions/transition-stage",
                      {"name": model, "version": "2", "stage": "Staging", "archive_existing_versions": False})
        assert body["model_version"]["current_stage"] == body["model_version_databricks"]["current_stage"] == "Staging"

    def test_served_on_the_preview_and_ajax_prefixes(self, reg, model):
        for prefix, version in (("/api/2.0/preview/mlflow", "1"), ("/ajax-api/2.0/preview/mlflow", "2"),
                                ("/ajax-api/2.0/mlflow", "3")):
            r = reg.call("POST", "/databricks/model-versions/transition-stage",
                         {"name": model, "version": version, "stage": "Staging", "archive_existing_versions": False},
                         prefix=prefix)
            assert r.status_code == 200, r.text
        assert [reg.current_stage(model, v) for v in "123"] == ["Staging"] * 3


ENDPOINTS = [
    ("POST", "/transition-requests/create", {"name": "m", "version": "1", "stage": "Staging"}, None),
    ("GET", "/transition-requests/list", None, {"name": "m", "version": "1"}),
    ("POST", "/transition-requests/approve", {"name": "m", "version": "1", "stage": "Staging",
                                              "archive_existing_versions": False}, None),
    ("POST", "/transition-requests/reject", {"name": "m", "version": "1", "stage": "Staging"}, None),
    ("DELETE", "/transition-requests/delete", None, {"name": "m", "version": "1", "stage": "Staging",
                                                     "creator": "x"}),
    ("POST", "/databricks/model-versions/transition-stage", {"name": "m", "version": "1", "stage": "Staging",
                                                             "archive_existing_versions": False}, None),
    ("GET", "/databricks/model-versions/get", None, {"name": "m", "version": "1"}),
    ("GET", "/model-versions/get-activities", None, {"name": "m", "version": "1"}),
    ("POST", "/model-versions/transition-stage", {"name": "m", "version": "1", "stage": "Staging",
                                                  "archive_existing_versions": False}, None),
    ("POST", "/comments/create", {"name": "m", "version": "1", "comment": "c"}, None),
    ("PATCH", "/comments/update", {"id": "abc", "comment": "c"}, None),
    ("DELETE", "/comments/delete", None, {"id": "abc"}),
]


class TestAnonymous:
    @pytest.mark.parametrize("method,path,body,params", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
    def test_every_endpoint_needs_a_token(self, reg, method, path, body, params):
        assert_error(reg.call(method, path, body, params, token=None), 401, "UNAUTHENTICATED")
        assert_error(reg.call(method, path, body, params, token="dapi-not-a-token"), 401, "UNAUTHENTICATED")


class TestArchiveByStagingManager:
    def test_a_staging_manager_approves_into_staging_and_archives_the_staging_versions(self, reg, people, model):
        reg.stage(model, "1", "Staging")
        reg.stage(model, "2", "Production")
        reg.request(people["requester"], model, "3", "Staging")
        people["staging"].sdk.model_registry.approve_transition_request(model, "3", "Staging", True)
        assert [reg.current_stage(model, v) for v in "123"] == ["Archived", "Production", "Staging"]
        last = reg.activities(model, "1")[-1]
        assert (last["activity_type"], last["from_stage"], last["to_stage"]) == (
            "SYSTEM_TRANSITION", "Staging", "Archived")


class TestDeletingTheVersion:
    def test_a_version_with_requests_comments_and_activities_can_be_deleted(self, reg, people, model):
        reg.request(people["requester"], model, "1", "Staging")
        people["requester"].sdk.model_registry.create_comment(model, "1", "bye")
        reg.ok("DELETE", "/model-versions/delete", {"name": model, "version": "1"})
        r = reg.call("GET", "/model-versions/get-activities", params={"name": model, "version": "1"})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        reg.ok("DELETE", "/registered-models/delete", {"name": model})


def test_an_empty_model_name_is_400(reg):
    assert_error(reg.call("GET", "/transition-requests/list", params={"name": "", "version": "1"}),
                 400, "INVALID_PARAMETER_VALUE")
