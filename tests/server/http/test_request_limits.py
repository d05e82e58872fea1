"""Request size limits: JSON bodies over the configured cap get 413 and URLs over 64 KiB get 414, both in
MLflow's error envelope and without the server holding the oversized input; artifact uploads stay uncapped."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from mlflow.exceptions import RestException

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import LiveServer, start_server
from tests.fixtures.wire import API, assert_error

MiB = 1 << 20
SMALL_LIMIT = MiB
DEFAULT_LIMIT = 32 * MiB
MAX_URL = 65535


@pytest.fixture(scope="module")
def small_limit_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server started with --max-request-body-bytes 1 MiB."""
    tmp = tmp_path_factory.mktemp(f"small-limit-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp, "--max-request-body-bytes", str(SMALL_LIMIT))
        try:
            yield server
        finally:
            server.stop()


def _peak_rss(server: LiveServer) -> int:
    """The server process's peak resident memory so far, in bytes (VmHWM)."""
    with open(f"/proc/{server.process.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def _chunks(total: int, size: int = MiB) -> Iterator[bytes]:
    """A body produced piece by piece: httpx sends it chunked, with no Content-Length."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield b"x" * piece
        sent += piece


def _raw_exchange(server_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes and read the whole answer (the server closes the connection after these errors)."""
    parts = urlsplit(server_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def _envelope(body: bytes) -> dict[str, str]:
    data = json.loads(body)
    assert set(data) == {"error_code", "message"}, data
    return data


class TestJsonBodyLimit:
    def test_body_over_the_default_limit_is_413_in_the_envelope(self, server_url: str) -> None:
        body = b'{"name": "' + b"a" * DEFAULT_LIMIT + b'"}'
        r = httpx.post(f"{server_url}{API}/experiments/create", content=body, timeout=60)
        data = assert_error(r, 413, "INVALID_PARAMETER_VALUE")
        assert str(DEFAULT_LIMIT) in data["message"] and "REGISTA_MAX_REQUEST_BODY_BYTES" in data["message"]

    def test_body_of_exactly_the_limit_is_accepted(self, small_limit_server: LiveServer) -> None:
        prefix, suffix = b'{"max_results": 1, "padding": "', b'"}'
        body = prefix + b"p" * (SMALL_LIMIT - len(prefix) - len(suffix)) + suffix
        assert len(body) == SMALL_LIMIT
        r = httpx.post(f"{small_limit_server.url}{API}/experiments/search", content=body)
        assert r.status_code == 200, r.text

    def test_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
        self, small_limit_server: LiveServer
    ) -> None:
        # Headers only: the answer comes although not a byte of the announced 10 GiB was sent.
        head = (
            f"POST {API}/experiments/create HTTP/1.1\r\nHost: regista\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 << 30}\r\nConnection: close\r\n\r\n"
        )
        status, _headers, body = _raw_exchange(small_limit_server.url, head.encode())
        assert status == 413
        assert _envelope(body)["error_code"] == "INVALID_PARAMETER_VALUE"

    def test_chunked_body_over_the_limit_is_refused_without_being_buffered(
        self, small_limit_server: LiveServer
    ) -> None:
        url = f"{small_limit_server.url}{API}/experiments/create"
        assert httpx.post(url, json={"name": ""}).status_code == 400  # warm the process up first
        before = _peak_rss(small_limit_server)
        r = httpx.post(url, content=_chunks(200 * MiB), timeout=120)
        assert_error(r, 413, "INVALID_PARAMETER_VALUE")
        # Holding the 200 MiB body would raise the peak by at least that much; the cap is 1 MiB.
        assert _peak_rss(small_limit_server) - before < 64 * MiB
        # The server keeps answering normally afterwards.
        assert httpx.get(f"{small_limit_server.url}/health").status_code == 200

    def test_the_mlflow_client_gets_a_clear_error(self, small_limit_server: LiveServer, unique: str) -> None:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=small_limit_server.url)
        experiment_id = client.create_experiment(f"limits-{unique}")
        with pytest.raises(RestException) as info:
            client.set_experiment_tag(experiment_id, "big", "v" * (2 * MiB))
        assert info.value.error_code == "INVALID_PARAMETER_VALUE"
        assert "larger than the server's limit" in info.value.message
        assert "big" not in client.get_experiment(experiment_id).tags


class TestArtifactUploadsAreNotCapped:
    def test_streamed_upload_larger_than_the_json_limit_is_stored(self, small_limit_server: LiveServer) -> None:
        size = 64 * MiB
        path = "/api/2.0/mlflow-artifacts/artifacts/limits/streamed.bin"
        r = httpx.put(f"{small_limit_server.url}{path}", content=_chunks(size), timeout=120)
        assert r.status_code == 200, r.text
        digest = hashlib.sha256()
        received = 0
        with httpx.stream("GET", f"{small_limit_server.url}{path}", timeout=120) as download:
            for chunk in download.iter_bytes():
                digest.update(chunk)
                received += len(chunk)
        assert received == size
        assert digest.hexdigest() == hashlib.sha256(b"x" * size).hexdigest()

    def test_upload_with_a_declared_length_over_the_json_limit_is_stored(
        self, small_limit_server: LiveServer
    ) -> None:
        data = bytes(range(256)) * (8 * MiB // 256)
        path = "/api/2.0/mlflow-artifacts/artifacts/limits/declared.bin"
        assert httpx.put(f"{small_limit_server.url}{path}", content=data, timeout=60).status_code == 200
        assert httpx.get(f"{small_limit_server.url}{path}", timeout=60).content == data


class TestUrlLimit:
    def test_a_megabyte_query_string_gets_414_in_the_envelope(self, server_url: str) -> None:
        target = f"{API}/experiments/search?filter=" + "a" * MiB
        status, headers, body = _raw_exchange(server_url, f"GET {target} HTTP/1.1\r\nHost: regista\r\n\r\n".encode())
        assert status == 414
        assert headers["content-type"] == "application/json"
        data = _envelope(body)
        assert data["error_code"] == "INVALID_PARAMETER_VALUE" and str(MAX_URL) in data["message"]

    def test_a_url_of_exactly_the_limit_reaches_the_api(self, server_url: str) -> None:
        base = f"{API}/experiments/search?max_results=1&padding="
        target = base + "p" * (MAX_URL - len(base))
        assert len(target) == MAX_URL
        request = f"GET {target} HTTP/1.1\r\nHost: regista\r\nConnection: close\r\n\r\n"
        status, _headers, body = _raw_exchange(server_url, request.encode())
        assert status == 200, body
        assert "experiments" in json.loads(body)

    def test_a_malformed_request_gets_400_in_the_envelope(self, server_url: str) -> None:
        status, headers, body = _raw_exchange(server_url, b"NOT AN HTTP REQUEST\r\n\r\n")
        assert status == 400
        assert headers["content-type"] == "application/json"
        assert _envelope(body)["error_code"] == "BAD_REQUEST"
