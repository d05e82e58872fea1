"""Abandoned multipart upload sessions are removed by the server's periodic sweep, with no new upload starting:
two server processes on one database and artifact store, one whose sessions expire after 5 s (and which
sweeps every second), one with the default day; and a round of the sweep is bounded."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from regista.server.catalog.services import uc_uploads, upload_sweep
from regista.server.storage.repository import ArtifactRepository
from tests.fixtures.databases import database_url
from tests.fixtures.live_server import LiveServer, start_server
from tests.server.catalog.test_uc_multipart import FS, UC, complete, part_urls, start

SWEEP_DEADLINE_S = 120  # generous on a loaded machine; a healthy server sweeps within a couple of seconds


@pytest.fixture
def two_servers(backend: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """(short, long): sessions started on `short` expire after 5 s, on `long` after a day; one store."""
    with database_url(backend, tmp_path) as url:
        short = start_server(backend, url, tmp_path, env={"REGISTA_UC_UPLOAD_TIMEOUT": "5"})
        try:
            long = start_server(backend, url, tmp_path)
            try:
                yield short, long
            finally:
                long.stop()
        finally:
            short.stop()


def _call(url: str, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, url + path, timeout=30, **kwargs)


def _pending_file(url: str) -> str:
    """The Files API path of a file in a new PENDING version (no --auth: the caller is the admin)."""
    assert _call(url, "POST", "/api/2.1/unity-catalog/catalogs", json={"name": "sweep"}).status_code == 200
    assert _call(url, "POST", "/api/2.1/unity-catalog/schemas", json={"name": "s", "catalog_name": "sweep"}
                 ).status_code == 200
    assert _call(url, "POST", UC + "/registered-models/create", json={"name": "sweep.s.m"}).status_code == 200
    r = _call(url, "POST", UC + "/model-versions/create", json={"name": "sweep.s.m", "source": "s3://b"})
    assert r.status_code == 200, r.text
    return "/Models/sweep/s/m/1/big.bin"


NO_AUTH = "unused"  # the servers run without --auth: any caller is the admin


def _session_with_a_part(url: str, path: str, data: bytes) -> tuple[str, str]:
    """(session token, the part's ETag) of a session started on `url` with part 1 uploaded."""
    session = start(url, NO_AUTH, path).json()["multipart_upload"]["session_token"]
    [part] = part_urls(url, NO_AUTH, path, session, count=1).json()["upload_part_urls"]
    sent = httpx.put(part["url"], content=data)
    assert sent.status_code == 200
    return session, sent.headers["ETag"]


def test_an_abandoned_session_goes_without_a_new_upload(two_servers) -> None:
    short, long = two_servers
    path = _pending_file(long.url)
    uploads = short.data_dir / "artifacts" / uc_uploads.UPLOADS_ROOT
    abandoned, _ = _session_with_a_part(short.url, path, b"left behind")
    active, etag = _session_with_a_part(long.url, path, b"kept")
    # A directory a crashed start left without its session.json, untouched for an hour.
    orphan = uploads / ("o" * 43)
    orphan.mkdir()
    (orphan / "1").write_bytes(b"x")
    for p in (orphan / "1", orphan):
        os.utime(p, (time.time() - 3600, time.time() - 3600))
    assert (uploads / abandoned).is_dir()
    deadline = time.monotonic() + SWEEP_DEADLINE_S
    while ((uploads / abandoned).exists() or orphan.exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (uploads / abandoned).exists() and not orphan.exists()
    # Its token opens nothing any more; the session of the other server (a day to go) is intact and completes.
    assert httpx.put(f"{short.url}{FS}/upload-parts/{abandoned}/2", content=b"late").status_code == 404
    assert (uploads / active / "1").read_bytes() == b"kept"
    done = complete(long.url, NO_AUTH, path, active, [{"part_number": 1, "etag": etag}])
    assert done.status_code == 200, done.text
    assert not (uploads / active).exists()


def _session(repo: ArtifactRepository, token: str, expires_at: int) -> None:
    session = uc_uploads.UploadSession(token, "_catalog/x/big.bin", "/Models/a/b/c/1/big.bin", "admin", expires_at)
    repo.write_bytes(uc_uploads.session_file(token), session.to_json())
    repo.write_bytes(uc_uploads.part_file(token, 1), b"part")


def test_a_round_is_bounded_and_the_next_goes_on(tmp_path: Path) -> None:
    repo = ArtifactRepository(str(tmp_path))
    expired = [c * 43 for c in "abcde"]
    active = ["f" * 43]
    for token in expired:
        _session(repo, token, 1)
    _session(repo, active[0], 2**62)
    rounds = []
    after = None
    while True:
        done = upload_sweep.sweep_round(repo, 3600, after, limit=2)
        rounds.append((done.inspected, done.removed))
        after = done.resume_after
        if after is None:
            break
    assert rounds == [(2, 2), (2, 2), (2, 1), (0, 0)]
    assert [e.path for e in repo.list_dir(uc_uploads.UPLOADS_ROOT)] == active
    # A name that is not a session token is never touched.
    (tmp_path / uc_uploads.UPLOADS_ROOT / "notes").mkdir()
    assert upload_sweep.sweep_round(repo, 0).removed == 0
    assert (tmp_path / uc_uploads.UPLOADS_ROOT / "notes").is_dir()
