"""A small world (experiment, run with a metric, registered model with three versions) for bad-input tests."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.fixtures.wire import API


@dataclass
class World:
    client: httpx.Client
    experiment_id: str
    run_id: str
    model: str

    def get(self, path: str, **params: object) -> httpx.Response:
        return self.client.get(f"{API}{path}", params=params)

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.client.post(f"{API}{path}", json=body)

    def metric_steps(self, key: str = "m") -> list[int]:
        r = self.get("/metrics/get-history", run_id=self.run_id, metric_key=key)
        return sorted(m.get("step", 0) for m in r.json().get("metrics", []))

    def experiment_names(self) -> set[str]:
        r = self.post("/experiments/search", {"max_results": 1000})
        return {e["name"] for e in r.json().get("experiments", [])}


def build_world(server_url: str, unique: str) -> World:
    client = httpx.Client(base_url=server_url, timeout=60)
    eid = client.post(f"{API}/experiments/create", json={"name": f"bad-input-{unique}"}).json()["experiment_id"]
    run_id = client.post(f"{API}/runs/create", json={"experiment_id": eid}).json()["run"]["info"]["run_id"]
    r = client.post(
        f"{API}/runs/log-metric", json={"run_id": run_id, "key": "m", "value": 5.0, "timestamp": 1, "step": 1}
    )
    assert r.status_code == 200, r.text
    model = f"bad-input-{unique}"
    client.post(f"{API}/registered-models/create", json={"name": model})
    for _ in range(3):
        r = client.post(f"{API}/model-versions/create", json={"name": model, "source": "s3://bucket/m"})
        assert r.status_code == 200, r.text
    return World(client, eid, run_id, model)
