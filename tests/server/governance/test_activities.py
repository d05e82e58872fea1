"""The activity log a version keeps (`GET .../model-versions/get-activities`, the Databricks UI's feed):
every request, approval, rejection, cancellation, applied and system transition and comment, oldest
first, append-only; readable with CAN_READ."""

from __future__ import annotations

import pytest

from tests.fixtures.wire import assert_error
from tests.server.governance.governance_helpers import Person, Registry


@pytest.fixture(scope="module")
def reg(auth_server, identities):
    registry = Registry(auth_server.url, identities)
    yield registry
    registry.close()


@pytest.fixture(scope="module")
def people(reg) -> dict[str, Person]:
    return {role: reg.person() for role in ("requester", "staging", "production", "manager")}


@pytest.fixture(scope="module")
def flow(reg, people):
    """A model whose version 2 went through a mixed history; returns (model name, people)."""
    name, rm_id = reg.model("act", versions=2)
    levels = {"requester": "CAN_READ", "staging": "CAN_MANAGE_STAGING_VERSIONS",
              "production": "CAN_MANAGE_PRODUCTION_VERSIONS", "manager": "CAN_MANAGE"}
    for role, level in levels.items():
        reg.grant(rm_id, people[role], level)
    requester = people["requester"].sdk.model_registry
    reg.stage(name, "1", "Production")
    requester.create_transition_request(name, "2", "Staging", comment="r1")
    requester.create_comment(name, "2", "metrics attached")
    people["staging"].sdk.model_registry.reject_transition_request(name, "2", "Staging", comment="no")
    requester.create_transition_request(name, "2", "Staging", comment="r2")
    people["staging"].sdk.model_registry.approve_transition_request(name, "2", "Staging", False, comment="ok")
    requester.create_transition_request(name, "2", "Production", comment="r3")
    people["production"].sdk.model_registry.approve_transition_request(
        name, "2", "Production", True, comment="go")
    requester.create_transition_request(name, "2", "Archived", comment="r4")
    requester.delete_transition_request(name, "2", "Archived", people["requester"].name, comment="oops")
    people["manager"].sdk.model_registry.transition_stage(name, "2", "Archived", False, comment="retired")
    return name


def entries(reg, name, version) -> list[tuple]:
    return [(a["activity_type"], a.get("from_stage"), a.get("to_stage"), a["user_id"], a.get("comment"))
            for a in reg.activities(name, version)]


class TestActivityLog:
    def test_the_whole_history_in_order(self, reg, people, flow):
        r, s, p, m = (people[k].name for k in ("requester", "staging", "production", "manager"))
        assert entries(reg, flow, "2") == [
            ("REQUESTED_TRANSITION", "None", "Staging", r, "r1"),
            ("NEW_COMMENT", None, None, r, "metrics attached"),
            ("REJECTED_REQUEST", "None", "Staging", s, "no"),
            ("REQUESTED_TRANSITION", "None", "Staging", r, "r2"),
            ("APPROVED_REQUEST", "None", "Staging", s, "ok"),
            ("REQUESTED_TRANSITION", "Staging", "Production", r, "r3"),
            ("APPROVED_REQUEST", "Staging", "Production", p, "go"),
            ("REQUESTED_TRANSITION", "Production", "Archived", r, "r4"),
            ("CANCELLED_REQUEST", "Production", "Archived", r, "oops"),
            ("APPLIED_TRANSITION", "Production", "Archived", m, "retired"),
        ]

    def test_the_archived_version_holds_the_system_transition(self, reg, people, flow):
        log = reg.activities(flow, "1")
        assert [(a["activity_type"], a.get("from_stage"), a.get("to_stage")) for a in log] == [
            ("APPLIED_TRANSITION", "None", "Production"),
            ("SYSTEM_TRANSITION", "Production", "Archived"),
        ]
        system = log[-1]
        assert system["user_id"] == people["production"].name
        assert "version 2" in system["system_comment"] and "Production" in system["system_comment"]
        assert "comment" not in system

    def test_every_entry_has_a_string_id_and_ordered_timestamps(self, reg, flow):
        log = reg.activities(flow, "2")
        ids = [a["id"] for a in log]
        assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == len(ids)
        times = [a["creation_timestamp"] for a in log]
        assert times == sorted(times)
        assert all(a["last_updated_timestamp"] == a["creation_timestamp"] for a in log)

    def test_approvals_name_the_requester(self, reg, people, flow):
        approvals = [a for a in reg.activities(flow, "2") if a["activity_type"] == "APPROVED_REQUEST"]
        assert all(people["requester"].name in a["system_comment"] for a in approvals)

    def test_no_open_requests_remain(self, reg, flow):
        assert reg.open_requests(flow, "2") == []

    @pytest.mark.parametrize("prefix", ["/api/2.0/mlflow", "/api/2.0/preview/mlflow", "/ajax-api/2.0/mlflow",
                                        "/ajax-api/2.0/preview/mlflow"])
    def test_served_on_every_registry_prefix(self, reg, people, flow, prefix):
        r = reg.call("GET", "/model-versions/get-activities", params={"name": flow, "version": "2"},
                     token=people["requester"].token, prefix=prefix)
        assert r.status_code == 200, r.text
        assert len(r.json()["activities"]) == 10


class TestActivityAccess:
    def test_a_caller_without_permission_gets_403(self, reg, flow):
        r = reg.call("GET", "/model-versions/get-activities", params={"name": flow, "version": "2"},
                     token=reg.person().token)
        assert_error(r, 403, "PERMISSION_DENIED")

    def test_unknown_model_or_version_is_404(self, reg, flow):
        for params in ({"name": flow, "version": "9"}, {"name": f"{flow}-missing", "version": "1"}):
            assert_error(reg.call("GET", "/model-versions/get-activities", params=params),
                         404, "RESOURCE_DOES_NOT_EXIST")

    def test_a_new_version_starts_with_an_empty_log(self, reg, flow):
        version = reg.version(flow)
        assert reg.activities(flow, version) == []

    def test_a_refused_transition_adds_nothing(self, reg, people, flow):
        before = reg.activities(flow, "1")
        r = reg.call("POST", "/model-versions/transition-stage",
                     {"name": flow, "version": "1", "stage": "Production", "archive_existing_versions": False},
                     token=people["staging"].token)
        assert_error(r, 403, "PERMISSION_DENIED")
        assert reg.activities(flow, "1") == before
