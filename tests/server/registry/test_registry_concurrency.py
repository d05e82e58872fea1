"""Concurrent registration: version numbers stay dense and unique with many writers on one model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mlflow import MlflowClient


class TestConcurrentCreateModelVersion:
    def test_64_concurrent_creates_give_exactly_versions_1_to_64(self, live_server, mlflow_client, unique):
        name = f"conc-{unique}"
        mlflow_client.create_registered_model(name)

        def register(i: int) -> str:
            # Each thread its own client, as separate processes would have.
            client = MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)
            return client.create_model_version(name, f"s3://bucket/{i}", await_creation_for=0).version

        with ThreadPoolExecutor(max_workers=64) as pool:
            got = list(pool.map(register, range(64)))
        assert sorted(int(v) for v in got) == list(range(1, 65))
        listed = mlflow_client.search_model_versions(f"name = '{name}'", max_results=100)
        assert sorted(int(v.version) for v in listed) == list(range(1, 65))
        assert {v.source for v in listed} == {f"s3://bucket/{i}" for i in range(64)}

    def test_concurrent_creates_after_deletions_never_reuse_numbers(self, live_server, mlflow_client, unique):
        name = f"conc-{unique}"
        mlflow_client.create_registered_model(name)
        for _ in range(4):
            mlflow_client.create_model_version(name, "s3://bucket/x", await_creation_for=0)
        mlflow_client.delete_model_version(name, "4")
        mlflow_client.delete_model_version(name, "3")

        def register(_: int) -> int:
            client = MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)
            return int(client.create_model_version(name, "s3://bucket/y", await_creation_for=0).version)

        with ThreadPoolExecutor(max_workers=16) as pool:
            got = sorted(pool.map(register, range(16)))
        assert got == list(range(5, 21))
