"""Paging of w.grants.get and w.grants.get_effective (max_results counts privileges, a page holds whole
principals, page_token seeks past the last one), with the unmodified databricks-sdk."""

from __future__ import annotations

import uuid

import pytest
from databricks.sdk.errors import InvalidParameterValue, PermissionDenied
from databricks.sdk.service.catalog import PermissionsChange, Privilege

from regista.server.catalog.services import grant_pages
from regista.server.catalog.services.privileges import GRANTABLE
from regista.server.catalog.stores.privileges import PRINCIPAL_ORDER
from regista.server.search.keyset import fingerprint, sort_terms
from regista.server.search.page_cursor import encode_cursor
from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.server.catalog.catalog_helpers import api

MODEL_PRIVILEGES = [Privilege.EXECUTE, Privilege.APPLY_TAG, Privilege.MANAGE, Privilege.ALL_PRIVILEGES]
PRINCIPALS = 80  # 200 direct privileges on the model, 360 effective ones: several pages of 150


def test_a_page_always_has_room_for_one_principal() -> None:
    assert grant_pages.PAGE_MIN > sum(len(p) for p in GRANTABLE.values())


def make_grantees(url: str, identities, suffix: str):
    """A model on which PRINCIPALS users hold 1 to 4 privileges each (and USE on its catalog and schema)."""
    admin = workspace_client(url, ADMIN_TOKEN)
    catalog, full = f"pg_{suffix}", f"pg_{suffix}.s.m"
    admin.catalogs.create(name=catalog)
    admin.schemas.create(name="s", catalog_name=catalog)
    admin.registered_models.create(catalog_name=catalog, schema_name="s", name="m")
    users = [identities.user() for _ in range(PRINCIPALS)]
    admin.grants.update("catalog", catalog, changes=[
        PermissionsChange(principal=u.name, add=[Privilege.USE_CATALOG]) for u in users])
    admin.grants.update("schema", f"{catalog}.s", changes=[
        PermissionsChange(principal=u.name, add=[Privilege.USE_SCHEMA]) for u in users])
    admin.grants.update("function", full, changes=[
        PermissionsChange(principal=u.name, add=MODEL_PRIVILEGES[: 1 + i % 4]) for i, u in enumerate(users)])
    return full, users


@pytest.fixture(scope="module")
def many_grantees(auth_server, identities):
    """make_grantees once per module and backend; the tests using it only read."""
    return make_grantees(auth_server.url, identities, uuid.uuid4().hex[:10])


def _pages(get, **kwargs):
    pages, token = [], None
    while True:
        answer = get(page_token=token, **kwargs)
        pages.append(answer.privilege_assignments or [])
        token = answer.next_page_token
        if not token:
            return pages


def _direct(assignments) -> dict[str, list[str]]:
    return {a.principal: sorted(p.value for p in a.privileges) for a in assignments}


def _effective(assignments) -> dict[str, set[tuple[str, str | None]]]:
    return {a.principal: {(p.privilege.value, p.inherited_from_name) for p in a.privileges} for a in assignments}


class TestPaging:
    def test_direct_grants_come_back_once_across_pages(self, auth_server, many_grantees) -> None:
        full, users = many_grantees
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        pages = _pages(lambda **kw: w.grants.get("function", full, **kw), max_results=150)
        assert len(pages) == 2
        assert all(sum(len(a.privileges) for a in page) <= 150 for page in pages)
        principals = [a.principal for page in pages for a in page]
        assert len(principals) == len(set(principals)) == PRINCIPALS
        whole = w.grants.get("function", full)  # unpaged: everything at once, as before
        assert whole.next_page_token is None
        assert _direct(a for page in pages for a in page) == _direct(whole.privilege_assignments)
        expected = {u.name: sorted(p.value for p in MODEL_PRIVILEGES[: 1 + i % 4]) for i, u in enumerate(users)}
        assert _direct(whole.privilege_assignments) == expected

    def test_effective_grants_come_back_once_across_pages(self, auth_server, many_grantees) -> None:
        full, users = many_grantees
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        pages = _pages(lambda **kw: w.grants.get_effective("function", full, **kw), max_results=150)
        assert len(pages) == 3
        principals = [a.principal for page in pages for a in page]
        assert len(principals) == len(set(principals)) == PRINCIPALS
        got = _effective(a for page in pages for a in page)
        catalog, schema = full.rsplit(".", 2)[0], full.rsplit(".", 1)[0]
        for i, u in enumerate(users):
            assert got[u.name] == {("USE_CATALOG", catalog), ("USE_SCHEMA", schema)} | {
                (p.value, None) for p in MODEL_PRIVILEGES[: 1 + i % 4]}
        # 0 asks for the server's page length, which holds them all here.
        one = w.grants.get_effective("function", full, max_results=0)
        assert one.next_page_token is None and _effective(one.privilege_assignments) == got

    def test_a_principal_filter_pages_too(self, auth_server, many_grantees) -> None:
        full, users = many_grantees
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        pages = _pages(lambda **kw: w.grants.get("function", full, **kw), max_results=150, principal=users[3].name)
        assert [[(a.principal, len(a.privileges)) for a in page] for page in pages] == [[(users[3].name, 4)]]

    def test_a_revoke_between_pages_shifts_nothing(self, auth_server, identities, unique) -> None:
        full, _ = make_grantees(auth_server.url, identities, unique)
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        first = w.grants.get("function", full, max_results=150)
        seen = [a.principal for a in first.privilege_assignments]
        # Revoking principals of the first page must neither repeat nor skip anyone on the next.
        w.grants.update("function", full, changes=[
            PermissionsChange(principal=name, remove=MODEL_PRIVILEGES) for name in seen[:10]])
        rest = _pages(lambda **kw: w.grants.get("function", full, **kw), max_results=150)
        later = w.grants.get("function", full, max_results=150, page_token=first.next_page_token)
        assert not set(seen) & {a.principal for a in later.privilege_assignments}
        assert len(seen) + len(later.privilege_assignments) == PRINCIPALS
        assert len({a.principal for page in rest for a in page}) == PRINCIPALS - 10


class TestWhoSeesThePages:
    def test_a_reader_without_manage_sees_every_grant_paged(self, auth_server, identities, many_grantees) -> None:
        # The rule today: whoever may read the securable (EXECUTE here, without MANAGE or ownership) sees
        # all of its grants, not only their own.
        full, users = many_grantees
        reader = users[0]  # EXECUTE only on the model, USE on its parents
        mine = workspace_client(auth_server.url, reader.token)
        pages = _pages(lambda **kw: mine.grants.get("function", full, **kw), max_results=150)
        assert len({a.principal for page in pages for a in page}) == PRINCIPALS
        # ... but may not change them.
        with pytest.raises(PermissionDenied):
            mine.grants.update("function", full, changes=[
                PermissionsChange(principal=reader.name, add=[Privilege.MANAGE])])

    def test_a_stranger_is_refused_every_page(self, auth_server, identities, many_grantees) -> None:
        full, _ = many_grantees
        stranger = workspace_client(auth_server.url, identities.user().token)
        with pytest.raises(PermissionDenied):
            stranger.grants.get("function", full, max_results=150)
        with pytest.raises(PermissionDenied):
            stranger.grants.get_effective("function", full, max_results=0)

    def test_anonymous_is_unauthenticated(self, auth_server, many_grantees) -> None:
        full, _ = many_grantees
        r = api(auth_server.url, "dapi-not-a-token", "GET",
                f"/api/2.1/unity-catalog/permissions/function/{full}?max_results=150")
        assert r.status_code == 401


class TestBadPaging:
    @pytest.mark.parametrize("value", [-1, 1, 149])
    def test_max_results_out_of_bounds_is_a_400(self, auth_server, many_grantees, value) -> None:
        full, _ = many_grantees
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        with pytest.raises(InvalidParameterValue, match="max_results"):
            w.grants.get("function", full, max_results=value)
        with pytest.raises(InvalidParameterValue, match="max_results"):
            w.grants.get_effective("function", full, max_results=value)

    @pytest.mark.parametrize("token", [
        "not-base64!",
        encode_cursor(5),  # an offset, as other listings hand out
        encode_cursor(0, after=[1, "x"], order=fingerprint(sort_terms(PRINCIPAL_ORDER))),  # mistyped position
        encode_cursor(0, after=["x", 1], order="another order"),
    ])
    def test_a_page_token_not_handed_out_is_a_400(self, auth_server, many_grantees, token) -> None:
        full, _ = many_grantees
        r = api(auth_server.url, ADMIN_TOKEN, "GET", f"/api/2.1/unity-catalog/permissions/function/{full}",
                params={"max_results": 150, "page_token": token})
        assert r.status_code == 400
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and "page token" in r.json()["message"]

    def test_max_results_beyond_the_page_length_is_cut_to_it(self, auth_server, many_grantees) -> None:
        full, _ = many_grantees
        r = api(auth_server.url, ADMIN_TOKEN, "GET", f"/api/2.1/unity-catalog/permissions/function/{full}",
                params={"max_results": 2**31})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        r = api(auth_server.url, ADMIN_TOKEN, "GET", f"/api/2.1/unity-catalog/permissions/function/{full}",
                params={"max_results": 100_000})
        assert r.status_code == 200 and len(r.json()["privilege_assignments"]) == PRINCIPALS
