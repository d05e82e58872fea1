"""The mlflow-artifacts proxy against a live server: the mlflow client's artifact calls and raw HTTP checks."""

from __future__ import annotations

import hashlib
import http.client
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import mlflow
import pytest
from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

from tests.fixtures.live_server import start_server
from tests.fixtures.wire import assert_error

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def raw_request(server_url: str, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send `path` byte for byte: http.client does not normalise `..` or percent-escapes like httpx does."""
    u = urlparse(server_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path, body=body if method in ("PUT", "POST") else None)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def artifact_root(live_server) -> Path:
    return live_server.data_dir / "artifacts"


@pytest.fixture
def base(unique: str) -> str:
    """A fresh directory under the artifact root for one test."""
    return f"proxy-tests/{unique}"


@pytest.fixture
def repo(server_url: str, base: str) -> MlflowArtifactsRepository:
    """The client's own proxy repository, rooted at `base`; needs nothing but the artifact proxy."""
    return MlflowArtifactsRepository(f"mlflow-artifacts:/{base}", tracking_uri=server_url)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A local directory with nested folders to upload."""
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "top.txt").write_text("top")
    (src / "sub" / "mid.json").write_text('{"a": 1}')
    (src / "sub" / "deeper" / "leaf.bin").write_bytes(os.urandom(300_000))
    return src


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


class TestUploadArtifact:
    def test_log_artifact_round_trips_through_the_client(
        self, repo: MlflowArtifactsRepository, tmp_path: Path
    ) -> None:
        f = tmp_path / "model.pkl"
        f.write_bytes(b"\x00\x01binary" * 1000)
        repo.log_artifact(str(f), "model")
        out = repo.download_artifacts("model/model.pkl", str(tmp_path))
        assert Path(out).read_bytes() == f.read_bytes()

    def test_log_artifacts_keeps_nested_directories(
        self, repo: MlflowArtifactsRepository, tree: Path, tmp_path: Path
    ) -> None:
        repo.log_artifacts(str(tree), "bundle")
        out = repo.download_artifacts("bundle", str(tmp_path))
        assert read_tree(Path(out)) == read_tree(tree)

    def test_file_lands_under_the_artifact_root(
        self, server_url: str, base: str, artifact_root: Path
    ) -> None:
        r = httpx.put(f"{server_url}{ARTIFACTS}/{base}/a/b.txt", content=b"hello")
        assert r.status_code == 200 and r.json() == {}
        assert (artifact_root / base / "a" / "b.txt").read_bytes() == b"hello"

    def test_empty_body_creates_an_empty_file(self, server_url: str, base: str, artifact_root: Path) -> None:
        assert httpx.put(f"{server_url}{ARTIFACTS}/{base}/empty", content=b"").status_code == 200
        assert (artifact_root / base / "empty").read_bytes() == b""

    def test_second_upload_replaces_the_file(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt", content=b"first version")
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt", content=b"second")
        assert httpx.get(f"{server_url}{ARTIFACTS}/{base}/f.txt").content == b"second"

    def test_no_temporary_files_are_left_behind(
        self, server_url: str, base: str, artifact_root: Path
    ) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt", content=b"x" * 3_000_000)
        assert [p.name for p in (artifact_root / base).iterdir()] == ["f.txt"]

    @pytest.mark.parametrize(
        "tail",
        [
            "../../../escaped-{u}.txt",
            "x/../../escaped-{u}.txt",
            "%2e%2e/%2e%2e/escaped-{u}.txt",
            "%2E%2E/escaped-{u}.txt",
            "%252e%252e/%252e%252e/escaped-{u}.txt",
            "..%2f..%2fescaped-{u}.txt",
            "/tmp/escaped-{u}.txt",
            "%2ftmp/escaped-{u}.txt",
            "escaped%00-{u}.txt",
            "a/..",
        ],
    )
    def test_path_traversal_is_refused_and_writes_nothing(
        self, server_url: str, artifact_root: Path, unique: str, tail: str
    ) -> None:
        data_dir = artifact_root.parent
        before = files_under(data_dir)
        status, body = raw_request(server_url, "PUT", f"{ARTIFACTS}/{tail.format(u=unique)}", b"pwned")
        assert status == 400, body
        assert b"INVALID_PARAMETER_VALUE" in body
        new = files_under(data_dir) - before
        assert not [p for p in new if "escaped" in p.name], new
        assert not list(Path("/tmp").glob(f"escaped-{unique}.txt"))

    def test_upload_onto_a_directory_is_400(self, server_url: str, base: str, artifact_root: Path) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/d/f.txt", content=b"x")
        assert_error(
            httpx.put(f"{server_url}{ARTIFACTS}/{base}/d", content=b"y"), 400, "INVALID_PARAMETER_VALUE"
        )
        big = httpx.put(f"{server_url}{ARTIFACTS}/{base}/d", content=b"y" * (3 << 20))
        assert_error(big, 400, "INVALID_PARAMETER_VALUE")
        assert [p.name for p in (artifact_root / base / "d").iterdir()] == ["f.txt"]

    def test_upload_below_a_file_is_400(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt", content=b"x")
        r = httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt/inner", content=b"y")
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_too_long_names_are_400(self, server_url: str, base: str) -> None:
        r = httpx.put(f"{server_url}{ARTIFACTS}/{base}/{'n' * 256}", content=b"y")
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        r = httpx.put(f"{server_url}{ARTIFACTS}/{base}/{'d' * 300}/f", content=b"y")
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        ok = httpx.put(f"{server_url}{ARTIFACTS}/{base}/{'n' * 250}", content=b"y")
        assert ok.status_code == 200

    def test_symlink_out_of_the_root_is_not_followed(
        self, server_url: str, base: str, artifact_root: Path, tmp_path: Path
    ) -> None:
        outside = tmp_path / "outside"
        outside.mkdir()
        (artifact_root / base).mkdir(parents=True)
        (artifact_root / base / "link").symlink_to(outside, target_is_directory=True)
        r = httpx.put(f"{server_url}{ARTIFACTS}/{base}/link/evil.txt", content=b"x")
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert list(outside.iterdir()) == []


class TestDownloadArtifact:
    def test_text_files_are_text_plain_attachments(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/MLmodel", content=b"flavors: {}\n")
        r = httpx.get(f"{server_url}{ARTIFACTS}/{base}/MLmodel")
        assert r.status_code == 200 and r.content == b"flavors: {}\n"
        assert r.headers["content-type"].startswith("text/plain")
        assert r.headers["content-disposition"] == 'attachment; filename="MLmodel"'
        assert r.headers["x-content-type-options"] == "nosniff"

    def test_names_beyond_ascii_download_with_an_encoded_file_name(self, server_url: str, base: str) -> None:
        # Header values are Latin-1: the real name travels percent-encoded in filename* (RFC 6266).
        for name, encoded in (("données é.csv", "donn%C3%A9es%20%C3%A9.csv"), ("\U000467de3", "%F1%86%9F%9E3")):
            assert httpx.put(f"{server_url}{ARTIFACTS}/{base}/{name}", content=b"1,2\n").status_code == 200
            r = httpx.get(f"{server_url}{ARTIFACTS}/{base}/{name}")
            assert r.status_code == 200 and r.content == b"1,2\n"
            disposition = r.headers["content-disposition"]
            assert disposition.startswith('attachment; filename="') and disposition.isascii()
            assert disposition.endswith(f"; filename*=UTF-8''{encoded}")

    def test_content_type_is_guessed_from_the_name(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/plot.png", content=b"\x89PNG")
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/weights", content=b"\x00")
        assert httpx.get(f"{server_url}{ARTIFACTS}/{base}/plot.png").headers["content-type"] == "image/png"
        r = httpx.get(f"{server_url}{ARTIFACTS}/{base}/weights")
        assert r.headers["content-type"] == "application/octet-stream"

    def test_large_file_streams_and_honours_range(self, server_url: str, base: str) -> None:
        data = os.urandom(3 << 20)
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/big.bin", content=data)
        r = httpx.get(f"{server_url}{ARTIFACTS}/{base}/big.bin")
        assert r.content == data and r.headers["content-length"] == str(len(data))
        part = httpx.get(f"{server_url}{ARTIFACTS}/{base}/big.bin", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]

    def test_missing_file_is_404_resource_does_not_exist(self, server_url: str, base: str) -> None:
        body = assert_error(httpx.get(f"{server_url}{ARTIFACTS}/{base}/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
        # The official artifact proxy's words, with the path under the artifact root.
        assert body["message"] == f"No such artifact: '{base}/nope'"

    def test_impossible_long_name_is_404(self, server_url: str, base: str) -> None:
        r = httpx.get(f"{server_url}{ARTIFACTS}/{base}/{'n' * 300}")
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        listing = httpx.get(f"{server_url}{ARTIFACTS}", params={"path": f"{base}/{'n' * 300}"})
        assert listing.status_code == 200 and listing.json() == {}

    def test_directory_is_400(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/d/f.txt", content=b"x")
        assert_error(httpx.get(f"{server_url}{ARTIFACTS}/{base}/d"), 400, "INVALID_PARAMETER_VALUE")

    def test_traversal_is_refused(self, server_url: str) -> None:
        status, body = raw_request(server_url, "GET", f"{ARTIFACTS}/../../../../etc/passwd")
        assert status == 400 and b"root:" not in body
        status, body = raw_request(server_url, "GET", f"{ARTIFACTS}/%2e%2e/%2e%2e/%2e%2e/etc/passwd")
        assert status == 400 and b"root:" not in body


class TestListArtifacts:
    def test_paths_are_relative_to_the_listed_directory(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/d/a.txt", content=b"abc")
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/d/sub/b.txt", content=b"b")
        body = httpx.get(f"{server_url}{ARTIFACTS}", params={"path": f"{base}/d"}).json()
        assert body == {
            "files": [
                {"path": "a.txt", "is_dir": False, "file_size": 3},
                {"path": "sub", "is_dir": True},
            ]
        }

    def test_missing_path_lists_as_empty_object(self, server_url: str, base: str) -> None:
        r = httpx.get(f"{server_url}{ARTIFACTS}", params={"path": f"{base}/nothing-here"})
        assert r.status_code == 200 and r.json() == {}

    def test_file_path_lists_as_empty_object(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt", content=b"x")
        r = httpx.get(f"{server_url}{ARTIFACTS}", params={"path": f"{base}/f.txt"})
        assert r.status_code == 200 and r.json() == {}

    def test_no_path_lists_the_root(self, server_url: str, base: str) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/f.txt", content=b"x")
        files = httpx.get(f"{server_url}{ARTIFACTS}").json()["files"]
        assert {"path": "proxy-tests", "is_dir": True} in files

    def test_client_list_artifacts_joins_paths_and_sizes(
        self, repo: MlflowArtifactsRepository, tree: Path
    ) -> None:
        repo.log_artifacts(str(tree))
        top = [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts()]
        assert top == [("sub", True, None), ("top.txt", False, 3)]
        assert [f.path for f in repo.list_artifacts("sub")] == ["sub/deeper", "sub/mid.json"]

    def test_client_listing_a_file_returns_nothing(self, repo: MlflowArtifactsRepository, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        assert repo.list_artifacts("top.txt") == []

    def test_uploads_in_progress_are_hidden(self, server_url: str, base: str, artifact_root: Path) -> None:
        httpx.put(f"{server_url}{ARTIFACTS}/{base}/done.txt", content=b"x")
        (artifact_root / base / f".big.bin.{'0' * 32}.part").write_bytes(b"partial")
        (artifact_root / base / "notes.part").write_bytes(b"a user file that merely ends in .part")
        files = httpx.get(f"{server_url}{ARTIFACTS}", params={"path": base}).json()["files"]
        assert [f["path"] for f in files] == ["done.txt", "notes.part"]

    def test_traversal_in_query_is_refused(self, server_url: str) -> None:
        for bad in ("..", "a/../..", "/etc", "%2e%2e"):
            r = httpx.get(f"{server_url}{ARTIFACTS}", params={"path": bad})
            assert_error(r, 400, "INVALID_PARAMETER_VALUE")


class TestDeleteArtifact:
    def test_delete_a_file(self, repo: MlflowArtifactsRepository, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        repo.delete_artifacts("top.txt")
        assert [f.path for f in repo.list_artifacts()] == ["sub"]

    def test_delete_a_directory_recursively(
        self, repo: MlflowArtifactsRepository, tree: Path, artifact_root: Path, base: str
    ) -> None:
        repo.log_artifacts(str(tree))
        repo.delete_artifacts("sub")
        assert not (artifact_root / base / "sub").exists()
        assert [f.path for f in repo.list_artifacts()] == ["top.txt"]

    def test_deleting_what_is_not_there_succeeds(self, server_url: str, base: str) -> None:
        r = httpx.delete(f"{server_url}{ARTIFACTS}/{base}/never-was")
        assert r.status_code == 200 and r.json() == {}

    def test_root_and_traversal_are_refused(self, server_url: str, artifact_root: Path) -> None:
        status, _ = raw_request(server_url, "DELETE", f"{ARTIFACTS}/")
        assert status == 400
        status, _ = raw_request(server_url, "DELETE", f"{ARTIFACTS}/x/../..")
        assert status == 400
        assert artifact_root.is_dir()


class TestMultipartUpload:
    @pytest.mark.parametrize("action", ["create", "complete", "abort"])
    def test_multipart_is_not_implemented(self, server_url: str, base: str, action: str) -> None:
        r = httpx.post(
            f"{server_url}/api/2.0/mlflow-artifacts/mpu/{action}/{base}/f.bin",
            json={"path": "f.bin", "num_parts": 2, "upload_id": "u"},
        )
        assert_error(r, 501, "NOT_IMPLEMENTED")


class TestRunArtifacts:
    """The fluent API on a real run: the artifact_uri handed out by runs/create resolves to the proxy."""

    def test_log_artifact_list_and_download(self, mlflow_client, tmp_path: Path, tree: Path) -> None:
        with mlflow.start_run() as run:
            mlflow.log_artifact(str(tree / "top.txt"))
            mlflow.log_artifacts(str(tree), artifact_path="data")
        root = run.info.artifact_uri
        assert root.startswith("mlflow-artifacts:/")
        # The client lists the URI's last segment from its parent, so paths start with that segment.
        top = {f.path: f.is_dir for f in mlflow.artifacts.list_artifacts(artifact_uri=root)}
        assert top == {"artifacts/top.txt": False, "artifacts/data": True}
        assert [f.path for f in mlflow.artifacts.list_artifacts(artifact_uri=f"{root}/data/sub")] == [
            "sub/deeper",
            "sub/mid.json",
        ]
        out = mlflow.artifacts.download_artifacts(artifact_uri=f"{root}/data", dst_path=str(tmp_path))
        assert read_tree(Path(out)) == read_tree(tree)

    def test_run_id_based_list_and_download(self, mlflow_client, tmp_path: Path, tree: Path) -> None:
        # runs:/ resolution also asks logged-models/search for models logged by the run (MLflow 3).
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(tree), artifact_path="data")
        run_id = run.info.run_id
        assert [f.path for f in mlflow_client.list_artifacts(run_id)] == ["data"]
        assert [f.path for f in mlflow_client.list_artifacts(run_id, "data/sub")] == [
            "data/sub/deeper",
            "data/sub/mid.json",
        ]
        out = mlflow_client.download_artifacts(run_id, "data", str(tmp_path))
        assert read_tree(Path(out)) == read_tree(tree)

    def test_log_text_and_load_text(self, mlflow_client) -> None:
        with mlflow.start_run() as run:
            mlflow.log_text("some notes", "notes/readme.md")
        uri = f"runs:/{run.info.run_id}/notes/readme.md"
        assert mlflow.artifacts.load_text(uri) == "some notes"

    def test_legacy_run_scoped_listing(self, mlflow_client, server_url: str, tree: Path) -> None:
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(tree))
        params = {"run_id": run.info.run_id, "path": "sub"}
        body = httpx.get(f"{server_url}/api/2.0/mlflow/artifacts/list", params=params).json()
        assert body["root_uri"] == run.info.artifact_uri
        assert body["files"] == [
            {"path": "sub/deeper", "is_dir": True},
            {"path": "sub/mid.json", "is_dir": False, "file_size": 8},
        ]
        r = httpx.get(f"{server_url}/ajax-api/2.0/mlflow/artifacts/list", params={"run_id": run.info.run_id})
        assert {f["path"] for f in r.json()["files"]} == {"top.txt", "sub"}

    def test_legacy_listing_of_unknown_run_is_404(self, server_url: str) -> None:
        r = httpx.get(f"{server_url}/api/2.0/mlflow/artifacts/list", params={"run_id": "0" * 32})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


# -- a non-local store --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def memory_store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose artifact store is fsspec's in-process memory filesystem: the object-store code path
    (no local paths, no hard links, no sendfile) against the real client."""
    tmp = tmp_path_factory.mktemp("memory-store")
    server = start_server(
        "sqlite",
        f"sqlite:///{tmp / 'regista.db'}",
        tmp / "srv",
        "--artifacts-destination",
        "memory://regista",
    )
    try:
        yield server.url
    finally:
        server.stop()


class TestNonLocalStore:
    def test_client_round_trip(
        self, memory_store_server: str, unique: str, tree: Path, tmp_path: Path
    ) -> None:
        repo = MlflowArtifactsRepository(f"mlflow-artifacts:/t/{unique}", tracking_uri=memory_store_server)
        repo.log_artifacts(str(tree), "bundle")
        assert [f.path for f in repo.list_artifacts("bundle")] == ["bundle/sub", "bundle/top.txt"]
        out = repo.download_artifacts("bundle", str(tmp_path))
        assert read_tree(Path(out)) == read_tree(tree)

    def test_large_upload_streams_and_downloads(self, memory_store_server: str, unique: str) -> None:
        url = f"{memory_store_server}{ARTIFACTS}/t/{unique}/big.bin"
        sent = hashlib.sha256()
        assert httpx.put(url, content=generated_stream(8 * BLOCK, sent)).status_code == 200
        r = httpx.get(url)
        assert r.headers["content-length"] == str(8 * BLOCK)
        assert hashlib.sha256(r.content).hexdigest() == sent.hexdigest()

    def test_missing_directory_and_delete(self, memory_store_server: str, unique: str) -> None:
        base = f"{memory_store_server}{ARTIFACTS}/t/{unique}"
        httpx.put(f"{base}/d/f.txt", content=b"x")
        assert_error(httpx.get(f"{base}/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
        assert_error(httpx.get(f"{base}/d"), 400, "INVALID_PARAMETER_VALUE")
        assert httpx.delete(f"{base}/d").status_code == 200
        listing = httpx.get(f"{memory_store_server}{ARTIFACTS}", params={"path": f"t/{unique}"})
        assert listing.json() == {}


# -- large artifacts ----------------------------------------------------------------------------------
GIB = 1 << 30
BLOCK = 1 << 20


def generated_stream(total: int, digest: hashlib._Hash) -> Iterator[bytes]:
    """`total` pseudo-random bytes, produced block by block (never held in memory), hashed as they go."""
    seed = os.urandom(BLOCK)
    for i in range(total // BLOCK):
        block = i.to_bytes(8, "little") + seed[8:]
        digest.update(block)
        yield block


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@pytest.mark.slow
class TestLargeArtifactStreaming:
    def test_one_gib_round_trip_keeps_server_memory_flat(self, live_server, base: str) -> None:
        pid = live_server.process.pid
        # `regista server` with one worker runs uvicorn inside this very process (no child processes),
        # so its memory is the server's memory.
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert children == [], "the server was expected to run in the launched process"
        # Reset the peak-RSS counter (VmHWM) to the current RSS, so earlier tests' peaks do not count.
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        rss_before = _status_kb(pid, "VmRSS")

        sent = hashlib.sha256()
        url = f"{live_server.url}{ARTIFACTS}/{base}/huge.bin"
        r = httpx.put(url, content=generated_stream(GIB, sent), timeout=600)
        assert r.status_code == 200, r.text

        received = hashlib.sha256()
        size = 0
        with httpx.stream("GET", url, timeout=600) as resp:
            assert resp.status_code == 200
            for chunk in resp.iter_raw(BLOCK):
                received.update(chunk)
                size += len(chunk)
        assert size == GIB
        assert received.hexdigest() == sent.hexdigest()
        on_disk = live_server.data_dir / "artifacts" / base / "huge.bin"
        stored = hashlib.sha256()
        with on_disk.open("rb") as fh:
            while block := fh.read(BLOCK):
                stored.update(block)
        assert stored.hexdigest() == sent.hexdigest()

        growth_mb = (_status_kb(pid, "VmHWM") - rss_before) / 1024
        assert growth_mb < 100, f"server peak RSS grew by {growth_mb:.0f} MB"
        on_disk.unlink()
