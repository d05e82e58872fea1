"""Registry searches return only what the caller may read, filtered inside the query: pages are full and
page tokens stay right when the caller can read only every other model of a set."""

from __future__ import annotations

import uuid

import pytest

from regista.server.permissions.stores import grants as grant_store
from tests.server.registry.registry_permission_helpers import admin_api, caller_api, create_model

SET_SIZE = 7


@pytest.fixture(scope="module")
def model_set(auth_server, identities):
    """Seven models (two versions each) under one prefix; a service principal reads models 0, 2, 4, 6
    (two of them directly, two through a group), another only through a CAN_READ grant on root."""
    prefix = f"vis-{uuid.uuid4().hex[:8]}"
    admin = admin_api(auth_server.url)
    group = identities.group()
    reader = identities.service_principal(group)
    names = [f"{prefix}-{i}" for i in range(SET_SIZE)]
    for i, name in enumerate(names):
        rm_id = create_model(admin, name, versions=2)
        if i % 2 == 0:
            identities.grant("registered-models", rm_id, reader if i % 4 == 0 else group, "CAN_READ")
    return prefix, names, reader


def page_through(api, path: str, key: str, params: dict, page_size: int) -> tuple[list, int]:
    """All results of a search, page by page; (results, number of pages)."""
    results, token, pages = [], None, 0
    while True:
        query = {**params, "max_results": page_size, **({"page_token": token} if token else {})}
        body = api.ok("GET", path, params=query)
        page = body.get(key, [])
        assert len(page) <= page_size
        results.extend(page)
        pages += 1
        token = body.get("next_page_token")
        if not token:
            return results, pages
        assert len(page) == page_size, "a page before the last one is full"


class TestSearchRegisteredModels:
    @pytest.mark.parametrize("page_size", [1, 2, 3, 100])
    def test_pages_hold_only_the_readable_models(self, auth_server, model_set, page_size) -> None:
        prefix, names, reader = model_set
        api = caller_api(auth_server.url, reader.token)
        found, pages = page_through(api, "/registered-models/search", "registered_models",
                                    {"filter": f"name LIKE '{prefix}-%'"}, page_size)
        assert [m["name"] for m in found] == names[::2]
        # A token only when more rows exist: no trailing empty page.
        assert pages == -(-len(names[::2]) // page_size)

    def test_the_mlflow_client_pages_through_them(self, auth_server, model_set, as_caller) -> None:
        prefix, names, reader = model_set
        client = as_caller(reader.token)
        first = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'", max_results=3)
        assert [m.name for m in first] == names[0:6:2]
        second = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'", max_results=3,
                                                 page_token=first.token)
        assert [m.name for m in second] == names[6:7]
        assert not second.token

    def test_a_root_reader_sees_everything(self, auth_server, identities, model_set) -> None:
        prefix, names, _ = model_set
        root_reader = identities.service_principal()
        identities.grant("registered-models", "root", root_reader, "CAN_READ")
        try:
            api = caller_api(auth_server.url, root_reader.token)
            found, _ = page_through(api, "/registered-models/search", "registered_models",
                                    {"filter": f"name LIKE '{prefix}-%'"}, 2)
            assert [m["name"] for m in found] == names
        finally:
            with identities.engine.begin() as conn:
                grant_store.revoke_identities(conn, "registered-models", "root", [root_reader.identity_id])

    def test_a_caller_without_grants_sees_nothing(self, auth_server, identities, model_set) -> None:
        prefix, _, _ = model_set
        api = caller_api(auth_server.url, identities.service_principal().token)
        body = api.ok("GET", "/registered-models/search", params={"filter": f"name LIKE '{prefix}-%'"})
        assert body.get("registered_models", []) == []


class TestSearchModelVersions:
    @pytest.mark.parametrize("page_size", [1, 3, 100])
    def test_pages_hold_only_versions_of_readable_models(self, auth_server, model_set, page_size) -> None:
        prefix, names, reader = model_set
        api = caller_api(auth_server.url, reader.token)
        found, _ = page_through(api, "/model-versions/search", "model_versions",
                                {"filter": f"name LIKE '{prefix}-%'", "order_by": ["name ASC", "version_number ASC"]},
                                page_size)
        assert [(v["name"], v["version"]) for v in found] == [(n, v) for n in names[::2] for v in ("1", "2")]

    def test_the_mlflow_client_sees_the_same(self, auth_server, model_set, as_caller) -> None:
        prefix, names, reader = model_set
        client = as_caller(reader.token)
        versions = client.search_model_versions(filter_string=f"name LIKE '{prefix}-%'", max_results=3,
                                                order_by=["name ASC", "version_number ASC"])
        assert [(v.name, v.version) for v in versions] == [(names[0], "1"), (names[0], "2"), (names[2], "1")]
        assert versions.token
