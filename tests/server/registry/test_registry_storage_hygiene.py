"""The registry's copies of version files: only regular files that resolve inside the store are copied (never
a symlink's target), a request that fails removes the copy it made, and copies no committed version
references are swept away at start-up (a crash or a failed commit leaves them behind)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server
from tests.fixtures.wire import assert_error
from tests.server.registry.source_security_world import (
    SECRET,
    Attacker,
    Victim,
    artifact_root,
    make_attacker,
    make_victim,
    registry_dirs,
)

API = "/api/2.0/mlflow"
OUTSIDE = b"a file outside the artifact store"


@pytest.fixture(scope="module")
def victim(identities, auth_server) -> Victim:
    return make_victim(identities, auth_server.url)


@pytest.fixture
def attacker(identities, auth_server) -> Attacker:
    return make_attacker(identities, auth_server.url)


class TestCopyFollowsNoSymlinks:
    @pytest.fixture
    def planted_run(self, auth_server, victim, attacker, tmp_path: Path) -> tuple[str, Path]:
        """The attacker's run whose `model/` holds one regular file and symlinks (made on the server's disk,
        as someone with shell access could) to a file and a directory outside the store and to the
        victim's file inside it. Returns (run id, the run's artifact directory)."""
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_bytes(OUTSIDE)
        eid = attacker.experiment()
        run_id = attacker.run(eid)["run_id"]
        run_dir = artifact_root(auth_server) / eid / run_id / "artifacts"
        model = run_dir / "model"
        model.mkdir(parents=True)
        (model / "MLmodel").write_bytes(b"flavors: {}\n")
        (model / "leak.txt").symlink_to(outside / "secret.txt")
        (model / "leakdir").symlink_to(outside, target_is_directory=True)
        victim_file = artifact_root(auth_server) / victim.experiment_id / victim.run_id / "artifacts/model/MLmodel"
        (model / "victim.txt").symlink_to(victim_file)
        (run_dir / "linked_model").symlink_to(outside, target_is_directory=True)
        return run_id, run_dir

    def test_only_regular_files_are_registered(self, auth_server, attacker, as_caller, planted_run,
                                               tmp_path: Path) -> None:
        run_id, _ = planted_run
        client = as_caller(attacker.caller.token)
        name = attacker.model()
        mv = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        uri = client.get_model_version_download_uri(name, mv.version)
        copy = artifact_root(auth_server) / uri.removeprefix("mlflow-artifacts:/")
        assert sorted(p.name for p in copy.iterdir()) == ["MLmodel"]
        local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{mv.version}",
                                                         dst_path=str(tmp_path / "dl")))
        # (The client adds its own registered_model_meta file to what it downloads.)
        downloaded = {p.name for p in local.iterdir()}
        assert "MLmodel" in downloaded and not downloaded & {"leak.txt", "victim.txt", "leakdir"}
        for leaked in ("leak.txt", "victim.txt", "leakdir/secret.txt"):
            r = attacker.api.http.get(f"/api/2.0/mlflow-artifacts/artifacts/{uri.split(':/', 1)[1]}/{leaked}")
            assert r.status_code == 404, (leaked, r.status_code)
        assert OUTSIDE not in r.content and SECRET not in r.content

    def test_a_source_that_is_a_symlink_out_of_the_store_is_refused(self, auth_server, attacker, as_caller,
                                                                     planted_run) -> None:
        run_id, run_dir = planted_run
        name = attacker.model()
        before = registry_dirs(auth_server)
        resp = attacker.api.call("POST", "/model-versions/create",
                                 {"name": name, "source": f"runs:/{run_id}/linked_model", "run_id": run_id})
        assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        rel = run_dir.relative_to(artifact_root(auth_server)).as_posix()
        with pytest.raises(MlflowException) as err:
            as_caller(attacker.caller.token).create_model_version(
                name, f"mlflow-artifacts:/{rel}/linked_model", run_id=run_id)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
        assert registry_dirs(auth_server) == before and attacker.versions(name) == []


class TestFailedRequestRemovesItsCopy:
    def test_a_copy_that_fails_halfway_leaves_nothing(self, auth_server, attacker, as_caller) -> None:
        # A file whose path fits the filesystem's limit in the source but not under _registry/<uuid>/:
        # the copy fails after copying the first file, and the request must remove what it copied.
        eid = attacker.experiment()
        root = artifact_root(auth_server)
        source = root / eid / "m"
        (source / "a_first.txt").parent.mkdir(parents=True)
        (source / "a_first.txt").write_bytes(b"first")
        _deep_file(source, 4090)
        name = attacker.model()
        before = registry_dirs(auth_server)
        resp = attacker.api.call("POST", "/model-versions/create",
                                 {"name": name, "source": f"mlflow-artifacts:/{eid}/m"})
        assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        with pytest.raises(MlflowException) as err:
            as_caller(attacker.caller.token).create_model_version(name, f"mlflow-artifacts:/{eid}/m")
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
        assert registry_dirs(auth_server) == before and attacker.versions(name) == []


def _deep_file(directory: Path, length: int) -> None:
    """A file under `directory` (nested 200-character directory names) whose path is `length` bytes long."""
    remaining = length - len(str(directory)) - 1
    parts = []
    while remaining > 201:
        parts.append("d" * 200)
        remaining -= 201
    target = directory.joinpath(*parts)
    target.mkdir(parents=True, exist_ok=True)
    (target / ("f" * remaining)).write_bytes(b"deep")


def _age(tree: Path, seconds: float) -> None:
    """Set back the modification times of a directory tree, as if it had been written `seconds` ago."""
    then = os.stat(tree).st_mtime - seconds
    for dirpath, _dirs, files in os.walk(tree):
        for f in files:
            os.utime(os.path.join(dirpath, f), (then, then))
        os.utime(dirpath, (then, then))


class TestStartUpSweep:
    def test_unreferenced_copies_are_removed_at_start_up(self, backend, tmp_path: Path) -> None:
        data = tmp_path / "server"
        with database_url(backend, tmp_path) as url:
            server = start_server(backend, url, data)
            try:
                http = httpx.Client(base_url=server.url + API, timeout=30)
                name = f"sweep-{uuid.uuid4().hex[:8]}"
                model = data / "artifacts" / "scratch" / "model"
                model.mkdir(parents=True)
                (model / "MLmodel").write_bytes(b"flavors: {}\n")
                assert http.post("/registered-models/create", json={"name": name}).status_code == 200
                r = http.post("/model-versions/create", json={"name": name, "source": "mlflow-artifacts:/scratch/model"})
                assert r.status_code == 200, r.text
                uri = http.get("/model-versions/get-download-uri",
                               params={"name": name, "version": "1"}).json()["artifact_uri"]
            finally:
                server.stop()
            registry = data / "artifacts" / "_registry"
            referenced = registry / uri.removeprefix("mlflow-artifacts:/_registry/")
            crashed, in_flight = registry / uuid.uuid4().hex, registry / uuid.uuid4().hex
            for orphan in (crashed, in_flight):
                (orphan / "sub").mkdir(parents=True)
                (orphan / "sub" / "weights.bin").write_bytes(b"\x00" * 10)
            # Left by a crash two hours ago; `in_flight` was just written (a copy another process is making).
            _age(crashed, 7200)
            _age(referenced, 7200)
            server = start_server(backend, url, data)
            try:
                assert not crashed.exists()
                assert in_flight.exists()
                assert (referenced / "MLmodel").read_bytes() == b"flavors: {}\n"
                got = httpx.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{uri.split(':/', 1)[1]}/MLmodel")
                assert got.status_code == 200 and got.content == b"flavors: {}\n"
            finally:
                server.stop()
