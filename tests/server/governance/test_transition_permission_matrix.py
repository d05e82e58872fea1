"""Who may move versions between stages, and request, approve, reject and cancel transitions
(reference databricks-api.md §3.1 and §3.4): every level (none, the five model levels, a group grant and a
registry-wide root grant) against every action, with the unmodified mlflow client and databricks-sdk as a
service principal holding exactly that level. Allowed actions take effect; refused ones are 403
PERMISSION_DENIED and change nothing (stage, open requests, activity log)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pytest
from databricks.sdk.errors import DatabricksError
from mlflow.exceptions import MlflowException
from sqlalchemy import text

from tests.server.governance.governance_helpers import Person, Registry

STAGING, PRODUCTION, MANAGE = "staging", "production", "manage"
GROUP_STAGING, ROOT_PRODUCTION = "group-staging", "root-production"
# Every way of holding a level that the matrix covers; "none" holds nothing on the model.
HOLDERS = ["none", "read", "edit", STAGING, PRODUCTION, MANAGE, GROUP_STAGING, ROOT_PRODUCTION]
DIRECT_LEVEL = {
    "read": "CAN_READ",
    "edit": "CAN_EDIT",
    STAGING: "CAN_MANAGE_STAGING_VERSIONS",
    PRODUCTION: "CAN_MANAGE_PRODUCTION_VERSIONS",
    MANAGE: "CAN_MANAGE",
}
READERS = set(HOLDERS) - {"none"}
STAGING_MOVERS = {STAGING, PRODUCTION, MANAGE, GROUP_STAGING, ROOT_PRODUCTION}
PRODUCTION_MOVERS = {PRODUCTION, MANAGE, ROOT_PRODUCTION}


@dataclass(frozen=True)
class Case:
    """One action: the version starts in `start`; `request_by` files a request to `target` first."""

    start: str
    target: str
    allowed: frozenset[str]
    request_by: str | None = None  # "requester" | "self" | None


TRANSITIONS = {
    "None->Staging": Case("None", "Staging", frozenset(STAGING_MOVERS)),
    "Staging->Production": Case("Staging", "Production", frozenset(PRODUCTION_MOVERS)),
    "Production->Archived": Case("Production", "Archived", frozenset(PRODUCTION_MOVERS)),
}
ACTIONS = {
    "request": Case("None", "Production", frozenset(READERS)),
    "approve-staging-request": Case("None", "Staging", frozenset(STAGING_MOVERS), "requester"),
    "approve-production-request": Case("Staging", "Production", frozenset(PRODUCTION_MOVERS), "requester"),
    "reject-staging-request": Case("None", "Staging", frozenset(STAGING_MOVERS), "requester"),
    "reject-production-request": Case("Staging", "Production", frozenset(PRODUCTION_MOVERS), "requester"),
    "cancel-own-request": Case("None", "Staging", frozenset(READERS), "self"),
    "cancel-others-request": Case("None", "Staging", frozenset({MANAGE}), "requester"),
}


@dataclass
class Matrix:
    reg: Registry
    name: str
    holders: dict[str, Person]
    requester: Person


@pytest.fixture(scope="module")
def matrix(auth_server, identities):
    reg = Registry(auth_server.url, identities)
    name, rm_id = reg.model("matrix")
    holders = {"none": reg.person()}
    for holder, level in DIRECT_LEVEL.items():
        holders[holder] = reg.person()
        reg.grant(rm_id, holders[holder], level)
    staging_group = identities.group()
    holders[GROUP_STAGING] = reg.person(staging_group)
    reg.grant(rm_id, staging_group, "CAN_MANAGE_STAGING_VERSIONS")
    # A registry-wide grant, to a fresh group so that no other caller of the shared server is affected.
    root_group = identities.group()
    holders[ROOT_PRODUCTION] = reg.person(root_group)
    reg.grant("root", root_group, "CAN_MANAGE_PRODUCTION_VERSIONS")
    requester = reg.person()
    reg.grant(rm_id, requester, "CAN_READ")
    try:
        yield Matrix(reg, name, holders, requester)
    finally:
        with identities.engine.begin() as conn:
            conn.execute(text("DELETE FROM access_control_entries WHERE object_id = 'root' AND identity_id = :g"),
                         {"g": root_group.identity_id})
        reg.close()


def prepare(m: Matrix, case: Case, caller: Person) -> str:
    """A fresh version in the case's start stage, with the request the case acts on."""
    version = m.reg.version(m.name)
    if case.start != "None":
        m.reg.stage(m.name, version, case.start)
    if case.request_by == "requester":
        m.reg.request(m.requester, m.name, version, case.target)
    elif case.request_by == "self" and caller.caller.name != m.holders["none"].name:
        m.reg.request(caller, m.name, version, case.target)
    return version


def check_refused(m: Matrix, version: str, before: tuple, act) -> None:
    with pytest.raises((DatabricksError, MlflowException)) as err:
        act()
    assert err.value.error_code == "PERMISSION_DENIED"
    assert m.reg.snapshot(m.name, version) == before


def open_stages(m: Matrix, version: str) -> list[tuple[str, str]]:
    return [(r["to_stage"], r["user_id"]) for r in m.reg.open_requests(m.name, version)]


@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize("transition", list(TRANSITIONS))
class TestDirectTransition:
    def test_with_the_mlflow_client(self, matrix, as_caller, holder, transition):
        case = TRANSITIONS[transition]
        caller = matrix.holders[holder]
        version = prepare(matrix, case, caller)
        client = as_caller(caller.token)

        def act():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                return client.transition_model_version_stage(matrix.name, version, case.target)

        if holder in case.allowed:
            assert act().current_stage == case.target
            last = matrix.reg.activities(matrix.name, version)[-1]
            assert (last["activity_type"], last["user_id"]) == ("APPLIED_TRANSITION", caller.name)
        else:
            check_refused(matrix, version, matrix.reg.snapshot(matrix.name, version), act)

    def test_with_the_databricks_sdk(self, matrix, holder, transition):
        case = TRANSITIONS[transition]
        caller = matrix.holders[holder]
        version = prepare(matrix, case, caller)

        def act():
            return caller.sdk.model_registry.transition_stage(matrix.name, version, case.target, False)

        if holder in case.allowed:
            assert act().model_version_databricks.current_stage == case.target
            assert matrix.reg.current_stage(matrix.name, version) == case.target
        else:
            check_refused(matrix, version, matrix.reg.snapshot(matrix.name, version), act)


@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_request_actions(matrix, holder, action):
    case = ACTIONS[action]
    caller = matrix.holders[holder]
    version = prepare(matrix, case, caller)
    api = caller.sdk.model_registry
    creator = caller.name if case.request_by == "self" else matrix.requester.name
    act = {
        "request": lambda: api.create_transition_request(matrix.name, version, case.target),
        "approve-staging-request": lambda: api.approve_transition_request(matrix.name, version, case.target, False),
        "approve-production-request": lambda: api.approve_transition_request(
            matrix.name, version, case.target, False),
        "reject-staging-request": lambda: api.reject_transition_request(matrix.name, version, case.target),
        "reject-production-request": lambda: api.reject_transition_request(matrix.name, version, case.target),
        "cancel-own-request": lambda: api.delete_transition_request(matrix.name, version, case.target, creator),
        "cancel-others-request": lambda: api.delete_transition_request(matrix.name, version, case.target, creator),
    }[action]
    before = matrix.reg.snapshot(matrix.name, version)
    if holder not in case.allowed:
        check_refused(matrix, version, before, act)
        return
    act()
    stage = matrix.reg.current_stage(matrix.name, version)
    if action == "request":
        assert open_stages(matrix, version) == [(case.target, caller.name)]
        assert stage == case.start
    elif action.startswith("approve"):
        assert (stage, open_stages(matrix, version)) == (case.target, [])
    else:
        assert (stage, open_stages(matrix, version)) == (case.start, [])
