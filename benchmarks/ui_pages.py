"""Server time per web UI page at p50 / p95: `python -m benchmarks.ui_pages [--models N] [--versions V]
[--runs R] [--metrics M] [--samples S] [--backend sqlite|postgresql]`.

Seeds a fresh `regista server` (authentication off) through the REST API with N registered models of V
versions each, one experiment of R runs with M metrics and 10 params each, and one Unity Catalog catalog,
schema and model (for the catalog explorer's pages), then opens every page
family S times and reads each request's server time from the server's access log (`duration_ms`: from
the request's arrival to its last byte, so client and network time are left out). The issue's scale is
the default (10,000 models x 10 versions, 2,000 runs x 100 metrics); pages are paged, so their cost must
not grow with it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from benchmarks.servers import Server

API = "/api/2.0/mlflow"
UC = "/api/2.1/unity-catalog"


def _ok(client: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.request(method, API + path, json=body)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def seed(url: str, models: int, versions: int, runs: int, metrics: int) -> tuple[str, list[str], str]:
    """(experiment id, run ids, a model name) after creating everything with 8 client threads."""
    with httpx.Client(base_url=url, timeout=60) as client:
        experiment_id = _ok(client, "POST", "/experiments/create", {"name": f"bench-{time.time_ns()}"})[
            "experiment_id"]

    def one_model(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            name = f"model-{i:05d}"
            _ok(c, "POST", "/registered-models/create", {"name": name})
            for _ in range(versions):
                _ok(c, "POST", "/model-versions/create", {"name": name, "source": "s3://bench/model"})

    def one_run(i: int) -> str:
        with httpx.Client(base_url=url, timeout=60) as c:
            run_id: str = _ok(c, "POST", "/runs/create", {"experiment_id": experiment_id, "run_name": f"run-{i}",
                                                         "start_time": 1_700_000_000_000 + i})["run"]["info"]["run_id"]
            now = 1_700_000_000_000 + i
            _ok(c, "POST", "/runs/log-batch", {
                "run_id": run_id,
                "metrics": [{"key": f"m{k:03d}", "value": (i * k) % 97 / 97, "timestamp": now, "step": 0}
                            for k in range(metrics)],
                "params": [{"key": f"p{k}", "value": str((i + k) % 7)} for k in range(10)],
            })
            return run_id

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one_model, range(models)))
        run_ids = list(pool.map(one_run, range(runs)))
    with httpx.Client(base_url=url, timeout=60) as client:  # the catalog explorer's pages need one of each
        for path, body in ((UC + "/catalogs", {"name": "bench"}),
                           (UC + "/schemas", {"name": "ml", "catalog_name": "bench"}),
                           (UC + "/models", {"name": "churn", "catalog_name": "bench", "schema_name": "ml"})):
            client.post(path, json=body).raise_for_status()
    return experiment_id, run_ids, "model-00000"


def pages(experiment_id: str, run_ids: list[str], model: str) -> dict[str, str]:
    """One URL per page family, as a user opens it."""
    return {
        "/models": "/models",
        "/models?q=<filter>": "/models?q=name+LIKE+%27model-01%25%27",
        "/models/<name>": f"/models/{model}",
        "/models/<name>/versions/<v>": f"/models/{model}/versions/1",
        "/models/<name>/compare": f"/models/{model}/compare?version=1&version=2",
        "/experiments": "/experiments",
        "/experiments/<id> (50 runs)": f"/experiments/{experiment_id}",
        "/experiments/<id>?q=<filter>&order": f"/experiments/{experiment_id}?q=metrics.m001+%3C+0.5"
                                              "&order=metrics.m002+DESC",
        "/experiments/<id>/runs/<run>": f"/experiments/{experiment_id}/runs/{run_ids[0]}",
        "/experiments/<id>/compare (5 runs)": f"/experiments/{experiment_id}/compare?"
                                              + "&".join(f"run={r}" for r in run_ids[:5]),
        "/settings": "/settings",
        "/admin": "/admin",
        "/admin/webhooks": "/admin/webhooks",
        "/admin/audit": "/admin/audit",
        "/serving": "/serving",
        "/catalog": "/catalog",
        "/catalog/<catalog>/<schema>": "/catalog/bench/ml",
        "/catalog/<catalog>/<schema>/<model>": "/catalog/bench/ml/churn",
    }


def server_times(server: Server, since_line: int) -> dict[str, list[float]]:
    """duration_ms of every GET in the server's access log after line `since_line`, by path + query."""
    times: dict[str, list[float]] = defaultdict(list)
    lines = (server.workdir / "server.log").read_text(errors="replace").splitlines()[since_line:]
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("method") == "GET" and "duration_ms" in entry:
            times[entry["path"]].append(float(entry["duration_ms"]))
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--metrics", type=int, default=100)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    server = Server("regista", backend=args.backend)
    server.start()
    try:
        t0 = time.perf_counter()
        experiment_id, run_ids, model = seed(server.base_url, args.models, args.versions, args.runs, args.metrics)
        print(f"seeded {args.models} models x {args.versions} versions, {args.runs} runs x {args.metrics} metrics "
              f"in {time.perf_counter() - t0:.0f} s ({args.backend})")
        urls = pages(experiment_id, run_ids, model)
        print("| page | p50 ms | p95 ms | samples |\n|---|---|---|---|")
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            for url in urls.values():  # warm-up: templates compiled, caches filled
                client.get(url).raise_for_status()
            # One page at a time: the access log records the path without its query, so pages that share
            # a path (with and without a filter) are measured in separate passes.
            for label, url in urls.items():
                time.sleep(0.5)  # the access log line is written after the response
                mark = len((server.workdir / "server.log").read_text(errors="replace").splitlines())
                for _ in range(args.samples):
                    client.get(url).raise_for_status()
                time.sleep(0.5)
                values = server_times(server, mark).get(url.split("?")[0], [])
                print(f"| `{label}` | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} | {len(values)} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
