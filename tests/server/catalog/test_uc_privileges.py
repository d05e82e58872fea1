"""The privilege matrix of Unity Catalog models, as second principals: for each operation, every required
privilege missing in turn is a 403 that changes nothing, and the full set succeeds; listings only show what
the caller may read (filtered in the query); denials and changes land in the audit log."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.catalog.catalog_helpers import api, grant, make_schema

UC = "/api/2.0/mlflow/unity-catalog"
MLMODEL = (
    "flavors:\n  python_function: {}\nsignature:\n"
    "  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n  outputs: '[{\"type\": \"double\"}]'\n"
)


def ready_version(url: str, token: str, full_name: str) -> str:
    """A READY version of `full_name` made over the wire (create, upload an MLmodel, finalize)."""
    r = api(url, token, "POST", UC + "/model-versions/create", json={"name": full_name, "source": "s3://b/m"})
    assert r.status_code == 200, r.text
    version = r.json()["model_version"]["version"]
    path = "/api/2.0/fs/files/Models/" + full_name.replace(".", "/") + f"/{version}/MLmodel"
    assert api(url, token, "PUT", path, content=MLMODEL.encode()).status_code == 204
    r = api(url, token, "POST", UC + "/model-versions/finalize", json={"name": full_name, "version": version})
    assert r.json()["model_version"]["status"] == "READY", r.text
    return str(version)


@pytest.fixture
def world(auth_server, unique):
    """Catalog `cat_<u>`, schema `s`, model `m` (owned by admin) with READY version 1."""
    catalog = f"cat_{unique}"
    make_schema(auth_server.url, catalog, "s")
    full = f"{catalog}.s.m"
    assert api(auth_server.url, ADMIN_TOKEN, "POST", UC + "/registered-models/create",
               json={"name": full}).status_code == 200
    ready_version(auth_server.url, ADMIN_TOKEN, full)
    return catalog, full


def _get_model(url, token, full):
    return api(url, token, "GET", UC + "/registered-models/get", params={"name": full})


def _model_as_admin(url, full):
    return _get_model(url, ADMIN_TOKEN, full).json()["registered_model"]


# operation → (privileges needed, as (securable level, privilege)), the call, and a check that it had effect
OPERATIONS = {
    "read": [("catalog", "USE_CATALOG"), ("schema", "USE_SCHEMA"), ("function", "EXECUTE")],
    "tag": [("catalog", "USE_CATALOG"), ("schema", "USE_SCHEMA"), ("function", "APPLY_TAG")],
    "create": [("catalog", "USE_CATALOG"), ("schema", "USE_SCHEMA"), ("schema", "CREATE_MODEL")],
    "alias": [("catalog", "USE_CATALOG"), ("schema", "USE_SCHEMA"), ("function", "MANAGE")],
    "download": [("catalog", "USE_CATALOG"), ("schema", "USE_SCHEMA"), ("function", "EXECUTE")],
}
CASES = [(op, missing) for op, needed in OPERATIONS.items() for missing in [None, *range(len(needed))]]


def _perform(url, token, op, catalog, full, new_model):
    if op == "read":
        return _get_model(url, token, full)
    if op == "tag":
        return api(url, token, "POST", UC + "/registered-models/set-tag", json={"name": full, "key": "k", "value": "v"})
    if op == "create":
        return api(url, token, "POST", UC + "/registered-models/create", json={"name": new_model})
    if op == "alias":
        return api(url, token, "POST", UC + "/registered-models/alias",
                   json={"name": full, "alias": "champion", "version": "1"})
    path = "/api/2.0/fs/files/Models/" + full.replace(".", "/") + "/1/MLmodel"
    return api(url, token, "GET", path)


def _took_effect(url, op, full, new_model) -> bool:
    if op == "tag":
        return any(t["key"] == "k" for t in _model_as_admin(url, full).get("tags", []))
    if op == "create":
        return _get_model(url, ADMIN_TOKEN, new_model).status_code == 200
    if op == "alias":
        return bool(_model_as_admin(url, full).get("aliases"))
    return True


@pytest.mark.parametrize(("op", "missing"), CASES, ids=[f"{op}-{'none' if m is None else m}" for op, m in CASES])
def test_privilege_matrix(auth_server, identities, world, op, missing) -> None:
    catalog, full = world
    sp = identities.service_principal()
    targets = {"catalog": catalog, "schema": f"{catalog}.s", "function": full}
    for i, (level, privilege) in enumerate(OPERATIONS[op]):
        if i != missing:
            grant(auth_server.url, level, targets[level], sp.name, privilege)
    new_model = f"{catalog}.s.new_{uuid.uuid4().hex[:6]}"
    r = _perform(auth_server.url, sp.token, op, catalog, full, new_model)
    if missing is None:
        assert r.status_code in (200, 204), r.text
        assert _took_effect(auth_server.url, op, full, new_model)
    else:
        assert_error(r, 403, "PERMISSION_DENIED")
        if op in ("tag", "create", "alias"):
            assert not _took_effect(auth_server.url, op, full, new_model)


class TestOwnership:
    def test_the_owner_may_change_its_model_without_grants_on_it(self, auth_server, identities, world) -> None:
        catalog, _ = world
        sp = identities.service_principal()
        for level, name, privilege in (("catalog", catalog, "USE_CATALOG"), ("schema", f"{catalog}.s", "USE_SCHEMA"),
                                       ("schema", f"{catalog}.s", "CREATE_MODEL")):
            grant(auth_server.url, level, name, sp.name, privilege)
        own = f"{catalog}.s.own"
        assert api(auth_server.url, sp.token, "POST", UC + "/registered-models/create", json={"name": own}).status_code == 200
        assert ready_version(auth_server.url, sp.token, own) == "1"
        r = api(auth_server.url, sp.token, "POST", UC + "/registered-models/alias",
                json={"name": own, "alias": "champion", "version": "1"})
        assert r.status_code == 200
        stranger = identities.service_principal()
        assert_error(api(auth_server.url, stranger.token, "DELETE", UC + "/registered-models/delete",
                         json={"name": own}), 403, "PERMISSION_DENIED")
        assert _get_model(auth_server.url, ADMIN_TOKEN, own).status_code == 200

    def test_an_uploaded_version_cannot_change_after_finalize(self, auth_server, world) -> None:
        _, full = world
        path = "/api/2.0/fs/files/Models/" + full.replace(".", "/") + "/1/extra.txt"
        assert_error(api(auth_server.url, ADMIN_TOKEN, "PUT", path, content=b"x"), 400, "INVALID_PARAMETER_VALUE")


class TestVisibility:
    def test_search_shows_only_readable_models_through_inheritance_and_groups(self, auth_server, identities,
                                                                             world) -> None:
        catalog, full = world
        group = identities.group()
        member = identities.service_principal(group)
        other = f"{catalog}.s.other"
        api(auth_server.url, ADMIN_TOKEN, "POST", UC + "/registered-models/create", json={"name": other})

        def visible() -> set[str]:
            r = api(auth_server.url, member.token, "GET", UC + "/registered-models/search",
                    params={"max_results": 1000})
            return {m["name"] for m in r.json().get("registered_models", []) if m["name"].startswith(catalog)}

        def versions(filter_string: str) -> list[str]:
            r = api(auth_server.url, member.token, "GET", UC + "/model-versions/search",
                    params={"filter": filter_string})
            return [v["version"] for v in r.json().get("model_versions", [])]

        # `name = 'c.s.m'` (the mlflow client's listing, a statement of its own) and any other filter.
        by_name, by_run = f"name='{full}'", f"name='{full}' OR run_id='none'"
        assert visible() == set() and versions(by_name) == versions(by_run) == []
        grant(auth_server.url, "catalog", catalog, group.name, "USE_CATALOG", "USE_SCHEMA")
        assert visible() == set() and versions(by_name) == versions(by_run) == []
        grant(auth_server.url, "function", full, group.name, "EXECUTE")
        assert visible() == {full}
        grant(auth_server.url, "schema", f"{catalog}.s", group.name, "EXECUTE")
        assert visible() == {full, other}
        assert versions(by_name) == versions(by_run) == ["1"]


class TestAudit:
    def test_changes_and_denials_are_audited_for_admins_only(self, auth_server, identities, world) -> None:
        _, full = world
        sp = identities.service_principal()
        assert_error(api(auth_server.url, sp.token, "POST", UC + "/registered-models/set-tag",
                         json={"name": full, "key": "k", "value": "v"}), 403, "PERMISSION_DENIED")
        r = api(auth_server.url, ADMIN_TOKEN, "GET", "/api/2.1/unity-catalog/audit-log", params={"full_name": full})
        entries = r.json()["entries"]
        denied = [e for e in entries if e["principal"] == sp.name]
        assert [(e["action"], e["result"]) for e in denied] == [("setRegisteredModelTag", "DENIED")]
        allowed = {(e["action"], e["result"], e["principal"]) for e in entries}
        assert ("createRegisteredModel", "ALLOWED", "admin") in allowed
        assert ("finalizeModelVersion", "ALLOWED", "admin") in allowed
        assert_error(api(auth_server.url, sp.token, "GET", "/api/2.1/unity-catalog/audit-log"), 403,
                     "PERMISSION_DENIED")
