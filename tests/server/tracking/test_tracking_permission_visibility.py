"""Search visibility and paging across readable and unreadable experiments, and who may read or write
registry copies and other paths of the artifact proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest
from sqlalchemy import text

from tests.server.tracking.permission_world import ARTIFACTS, Admin, expect_denied


@pytest.fixture(scope="module")
def admin(auth_server) -> Iterator[Admin]:
    a = Admin(auth_server.url)
    yield a
    a.close()


def _pages(fetch, max_results: int) -> list[list[str]]:
    """Every page of a paged search, as lists of ids."""
    pages, token = [], None
    while True:
        page = fetch(max_results, token)
        pages.append(page[0])
        token = page[1]
        if not token:
            return pages


def _assert_full_pages(pages: list[list[str]], size: int) -> None:
    assert all(len(p) == size for p in pages[:-1]), pages
    assert len(pages[-1]) <= size


class TestSearchExperiments:
    def test_only_readable_experiments_in_full_pages(self, admin, identities, as_caller, unique) -> None:
        group = identities.group()
        caller = identities.service_principal(group)
        ids = [admin.experiment(f"vis-{unique}-{i}") for i in range(9)]
        readable = {1, 2, 4, 6, 7}
        for i in readable:
            # Some directly, some through a group, one with a level above READ.
            level = "CAN_EDIT" if i == 7 else "CAN_READ"
            identities.grant("experiments", ids[i], caller if i % 2 else group, level)
        client = as_caller(caller.token)

        def fetch(n, token):
            page = client.search_experiments(filter_string=f"name LIKE 'vis-{unique}-%'", max_results=n,
                                             order_by=["name ASC"], page_token=token)
            return [e.experiment_id for e in page], page.token

        pages = _pages(fetch, 2)
        _assert_full_pages(pages, 2)
        assert [e for p in pages for e in p] == [ids[i] for i in sorted(readable)]
        everything = admin.call("POST", "/experiments/search",
                                {"filter": f"name LIKE 'vis-{unique}-%'", "max_results": 100})
        assert len(everything["experiments"]) == 9

    def test_deleted_experiments_follow_the_same_rule(self, admin, identities, as_caller, unique) -> None:
        caller = identities.service_principal()
        mine, other = admin.experiment(f"visdel-{unique}-a"), admin.experiment(f"visdel-{unique}-b")
        identities.grant("experiments", mine, caller, "CAN_READ")
        for eid in (mine, other):
            admin.call("POST", "/experiments/delete", {"experiment_id": eid})
        client = as_caller(caller.token)
        found = client.search_experiments(view_type=mlflow.entities.ViewType.DELETED_ONLY,
                                          filter_string=f"name LIKE 'visdel-{unique}-%'")
        assert [e.experiment_id for e in found] == [mine]


class TestSearchRunsAndLoggedModels:
    @pytest.fixture
    def three(self, admin, identities, unique):
        """Experiments A (readable), B (not), C (readable through a nested group), 3 runs and a model each."""
        parent = identities.group()
        caller = identities.service_principal(identities.group(parent))
        worlds = []
        for tag in "abc":
            w = admin.world(f"visruns-{unique}-{tag}")
            runs = [w.run_id] + [admin.call("POST", "/runs/create", {"experiment_id": w.experiment_id,
                                                                     "start_time": 10 + i})["run"]["info"]["run_id"]
                                 for i in range(2)]
            worlds.append((w, runs))
        identities.grant("experiments", worlds[0][0].experiment_id, caller, "CAN_READ")
        identities.grant("experiments", worlds[2][0].experiment_id, parent, "CAN_READ")
        return caller, worlds

    def test_runs_of_unreadable_experiments_are_left_out_in_full_pages(self, three, as_caller) -> None:
        caller, worlds = three
        client = as_caller(caller.token)
        eids = [w.experiment_id for w, _ in worlds]

        def fetch(n, token):
            page = client.search_runs(eids, max_results=n, page_token=token)
            return [r.info.run_id for r in page], page.token

        pages = _pages(fetch, 2)
        _assert_full_pages(pages, 2)
        assert sorted(r for p in pages for r in p) == sorted(worlds[0][1] + worlds[2][1])

    def test_an_unreadable_experiment_alone_gives_no_runs_and_no_error(self, three, as_caller) -> None:
        caller, worlds = three
        client = as_caller(caller.token)
        assert list(client.search_runs([worlds[1][0].experiment_id])) == []

    def test_logged_models_of_unreadable_experiments_are_left_out(self, three, as_caller) -> None:
        caller, worlds = three
        client = as_caller(caller.token)
        found = client.search_logged_models([w.experiment_id for w, _ in worlds], max_results=1)
        seen = [m.model_id for m in found]
        while found.token:
            found = client.search_logged_models([w.experiment_id for w, _ in worlds], max_results=1,
                                                page_token=found.token)
            assert len(found) == 1 or not found.token
            seen += [m.model_id for m in found]
        assert sorted(seen) == sorted([worlds[0][0].model_id, worlds[2][0].model_id])


class TestRegistryCopies:
    @pytest.fixture
    def version(self, admin, identities, unique):
        """A model version registered by the admin from a run's files: (model id, registry copy URI)."""
        w = admin.world(f"regcopy-{unique}")
        for name, data in (("MLmodel", b"flavors: {}\n"), ("data.bin", b"\x00\x01")):
            r = admin.http.put(f"{ARTIFACTS}/{w.experiment_id}/{w.run_id}/artifacts/model/{name}", content=data)
            assert r.status_code == 200, r.text
        name = f"regcopy-{unique}"
        admin.call("POST", "/registered-models/create", {"name": name})
        admin.call("POST", "/model-versions/create",
                   {"name": name, "source": f"runs:/{w.run_id}/model", "run_id": w.run_id})
        uri = admin.call("GET", "/model-versions/get-download-uri", name=name, version="1")["artifact_uri"]
        assert uri.startswith("mlflow-artifacts:/_registry/")
        with identities.engine.connect() as conn:
            rm_id = conn.execute(text("SELECT id FROM registered_models WHERE name = :n"), {"n": name}).scalar_one()
        return rm_id, uri, w

    def test_download_needs_read_on_the_model(self, version, identities, as_caller, tmp_path: Path) -> None:
        rm_id, uri, w = version
        caller = identities.service_principal()
        # Even the source experiment's managers cannot read the registry's copy without a model grant.
        identities.grant("experiments", w.experiment_id, caller, "CAN_MANAGE")
        as_caller(caller.token)
        expect_denied(lambda: mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "a")))
        identities.grant("registered-models", rm_id, caller, "CAN_READ")
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "b")))
        assert (local / "MLmodel").read_bytes() == b"flavors: {}\n"
        assert (local / "data.bin").read_bytes() == b"\x00\x01"

    def test_only_admins_write_registry_copies(self, version, identities, auth_server, admin) -> None:
        rm_id, uri, _ = version
        caller = identities.service_principal()
        identities.grant("registered-models", rm_id, caller, "CAN_MANAGE")
        rel = uri.split(":/", 1)[1]
        headers = {"Authorization": f"Bearer {caller.token}"}
        put = httpx.put(f"{auth_server.url}{ARTIFACTS}/{rel}/MLmodel", content=b"evil", headers=headers)
        assert put.status_code == 403 and put.json()["error_code"] == "PERMISSION_DENIED"
        delete = httpx.delete(f"{auth_server.url}{ARTIFACTS}/{rel}", headers=headers)
        assert delete.status_code == 403
        assert admin.http.get(f"{ARTIFACTS}/{rel}/MLmodel").content == b"flavors: {}\n"

    def test_a_registry_path_no_version_owns_is_admin_only(self, identities, auth_server, admin) -> None:
        caller = identities.service_principal()
        path = f"{auth_server.url}{ARTIFACTS}?path=_registry/{'0' * 32}"
        assert httpx.get(path, headers={"Authorization": f"Bearer {caller.token}"}).status_code == 403
        assert admin.http.get(path).status_code == 200


class TestOtherProxyPaths:
    def test_the_root_and_unknown_top_level_paths_are_admin_only(self, identities, auth_server, admin,
                                                                 unique) -> None:
        caller = identities.service_principal()
        headers = {"Authorization": f"Bearer {caller.token}"}
        base = auth_server.url + ARTIFACTS
        assert httpx.get(base, headers=headers).status_code == 403
        assert httpx.put(f"{base}/elsewhere-{unique}/x.txt", content=b"x", headers=headers).status_code == 403
        assert httpx.get(f"{base}/elsewhere-{unique}/x.txt", headers=headers).status_code == 403
        assert admin.http.put(f"{ARTIFACTS}/elsewhere-{unique}/x.txt", content=b"x").status_code == 200
        assert admin.http.get(ARTIFACTS).status_code == 200

    def test_a_grant_covers_only_the_canonical_experiment_directory(self, identities, auth_server, admin,
                                                                    unique) -> None:
        caller = identities.service_principal()
        eid = admin.experiment(f"canon-{unique}")
        identities.grant("experiments", eid, caller, "CAN_MANAGE")
        headers = {"Authorization": f"Bearer {caller.token}"}
        base = auth_server.url + ARTIFACTS
        assert httpx.put(f"{base}/{eid}/x.txt", content=b"x", headers=headers).status_code == 200
        assert httpx.put(f"{base}/0{eid}/x.txt", content=b"x", headers=headers).status_code == 403
        assert httpx.get(f"{base}/{eid}/x.txt", headers=headers).content == b"x"
