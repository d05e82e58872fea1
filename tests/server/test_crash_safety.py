"""kill -9 in the middle of concurrent registration loses no acknowledged change and leaves no gap."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server

API = "/api/2.0/mlflow"


def _hammer(url: str, name: str, acked: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            try:
                r = client.post(f"{API}/model-versions/create", json={"name": name, "source": "s3://b/x"})
            except httpx.HTTPError:
                return  # the server is gone
            if r.status_code == 200:
                acked.append(int(r.json()["model_version"]["version"]))


@pytest.mark.slow
class TestKillDuringRegistration:
    def test_acknowledged_versions_survive_kill_9_and_numbering_continues(
        self, backend: str, tmp_path: Path
    ) -> None:
        with database_url(backend, tmp_path) as db_url:
            server = start_server(backend, db_url, tmp_path / "data")
            name = "crash-model"
            httpx.post(f"{server.url}{API}/registered-models/create", json={"name": name}).raise_for_status()
            acked: list[int] = []
            stop = threading.Event()
            threads = [threading.Thread(target=_hammer, args=(server.url, name, acked, stop)) for _ in range(8)]
            for t in threads:
                t.start()
            while len(acked) < 200:
                time.sleep(0.01)
            os.kill(server.process.pid, signal.SIGKILL)  # no shutdown hooks, no final commit
            server.process.wait(10)
            stop.set()
            for t in threads:
                t.join(10)

            restarted = start_server(backend, db_url, tmp_path / "data")
            try:
                r = httpx.get(
                    f"{restarted.url}{API}/model-versions/search",
                    params={"filter": f"name = '{name}'", "max_results": 100000},
                )
                stored = sorted(int(v["version"]) for v in r.json()["model_versions"])
                assert set(acked) <= set(stored), "an acknowledged version was lost"
                assert stored == list(range(1, len(stored) + 1)), "numbering has a gap or a duplicate"
                r = httpx.post(f"{restarted.url}{API}/model-versions/create", json={"name": name, "source": "s3://b/y"})
                assert int(r.json()["model_version"]["version"]) == len(stored) + 1
            finally:
                restarted.stop()
