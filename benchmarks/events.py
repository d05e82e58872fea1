"""Events benchmark: `python -m benchmarks.events [--backend sqlite|postgresql] [--writes N] [--burst N]`.

1. What dispatching costs on writes: the same registry + tracking write workload (8 client threads) against
   regista with the dispatcher off, on without webhooks, and on with one MLflow webhook (2 deliveries per 5
   writes); and against the official server without and with the same webhook; interleaved, best of two.
2. Delivery: commit -> receiver latency (from each create_registered_model's response to the webhook
   call's arrival at a local receiver, p50/p99), for regista and the official `mlflow server` (its webhooks,
   same workload, MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS and http allowed for the local receiver); and regista's
   delivery throughput: every delivery replayed at once through the delivery log, timed to the last arrival.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson

from benchmarks.servers import Server

THREADS = 8


class _Server(ThreadingHTTPServer):
    # Python's default backlog of 5 resets connections under a burst of parallel webhook calls.
    request_queue_size = 128


class Receiver:
    """A local webhook receiver recording when each model's event arrived (monotonic clock)."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                name = body.get("data", {}).get("name") or body.get("model_name")
                with receiver.lock:
                    receiver.arrivals.setdefault(name, []).append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.arrivals.values())


def _start(kind: str, backend: str, env: dict[str, str]) -> Server:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server = Server(kind, backend)
        server.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return server


def _subscribe(http: httpx.Client, receiver: Receiver, databricks: bool) -> None:
    r = http.post("/api/2.0/mlflow/webhooks", json={
        "name": f"bench-{uuid.uuid4().hex[:6]}", "url": f"{receiver.url}/mlflow",
        "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"},
                   {"entity": "MODEL_VERSION", "action": "CREATED"}]})
    r.raise_for_status()
    if databricks:
        r = http.post("/api/2.0/mlflow/registry-webhooks/create", json={
            "events": ["REGISTERED_MODEL_CREATED", "MODEL_VERSION_CREATED"],
            "http_url_spec": {"url": f"{receiver.url}/databricks"}})
        r.raise_for_status()


def _write_workload(base: str, writes: int) -> float:
    """Writes per second: each unit is a model, a version, a version tag and a run with a metric."""
    def unit(i: int, http: httpx.Client) -> None:
        name = f"w-{i}-{uuid.uuid4().hex[:6]}"
        http.post("/api/2.0/mlflow/registered-models/create", json={"name": name}).raise_for_status()
        http.post("/api/2.0/mlflow/model-versions/create", json={"name": name, "source": "s3://b/m"}).raise_for_status()
        http.post("/api/2.0/mlflow/model-versions/set-tag",
                  json={"name": name, "version": "1", "key": "k", "value": "v"}).raise_for_status()
        run = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]["run_id"]
        http.post("/api/2.0/mlflow/runs/log-metric",
                  json={"run_id": run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0}).raise_for_status()

    def worker(indices: range) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for i in indices:
                unit(i, http)

    units = writes // 5
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, [range(t, units, THREADS) for t in range(THREADS)]))
    return units * 5 / (time.perf_counter() - started)


MODES = ("off", "idle", "on", "mlflow-off", "mlflow-on")


def write_cost(backend: str, writes: int, rounds: int = 2) -> dict[str, float]:
    """Best writes/s of regista with the dispatcher off, on without any webhook (events are only marked
    dispatched), and on with one MLflow webhook (model and version created: 2 deliveries per 5 writes); and
    of the official server without and with the same webhook, on the same workload. Modes interleaved, best of `rounds`."""
    best: dict[str, float] = dict.fromkeys(MODES, 0.0)
    for mode in MODES * rounds:
        receiver = Receiver()
        env = {"REGISTA_EVENTS_DISPATCHER": "false" if mode == "off" else "true", "REGISTA_ACCESS_LOG": "false",
               "REGISTA_WEBHOOK_ALLOW_PRIVATE": "true", "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
               "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https"}
        server = _start("mlflow" if mode.startswith("mlflow") else "regista", backend, env)
        try:
            if mode in ("on", "mlflow-on"):
                with httpx.Client(base_url=server.base_url, timeout=60) as http:
                    _subscribe(http, receiver, databricks=False)
            best[mode] = max(best[mode], _write_workload(server.base_url, writes))
        finally:
            server.stop()
            server.cleanup()
            receiver.server.shutdown()
    return best


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def delivery(kind: str, backend: str, burst: int) -> dict[str, float]:
    receiver = Receiver()
    env = {"REGISTA_WEBHOOK_ALLOW_PRIVATE": "true", "REGISTA_ACCESS_LOG": "false",
           "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true", "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https"}
    server = _start(kind, backend, env)
    out: dict[str, float] = {}
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            _subscribe(http, receiver, databricks=False)
        committed: dict[str, float] = {}
        lock = threading.Lock()

        def create(indices: range) -> None:
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                for i in indices:
                    name = f"d-{i}-{uuid.uuid4().hex[:6]}"
                    http.post("/api/2.0/mlflow/registered-models/create", json={"name": name}).raise_for_status()
                    with lock:
                        committed[name] = time.monotonic()

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(create, [range(t, burst, THREADS) for t in range(THREADS)]))
        deadline = time.monotonic() + 300
        while receiver.count() < burst and time.monotonic() < deadline:
            time.sleep(0.05)
        latencies = [(receiver.arrivals[n][0] - t) * 1000 for n, t in committed.items() if n in receiver.arrivals]
        out.update(delivered=len(latencies), p50_ms=statistics.median(latencies),
                   p99_ms=_percentile(latencies, 0.99))
        if kind == "regista":
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                # An arrival is recorded as SUCCEEDED a moment later: replay only once every delivery is.
                while time.monotonic() < deadline and len([
                    d for d in http.get("/api/2.0/regista/webhooks/deliveries",
                                        params={"state": "SUCCEEDED", "max_results": 1000}).json()["deliveries"]
                ]) < burst:
                    time.sleep(0.1)
                before = receiver.count()
                started = time.monotonic()
                replayed = http.post("/api/2.0/regista/webhooks/deliveries/replay",
                                     json={"state": "SUCCEEDED", "max_results": 1000}).json()["replayed"]
            while receiver.count() < before + replayed and time.monotonic() < deadline:
                time.sleep(0.01)
            out["replayed"] = replayed
            out["throughput_per_s"] = (receiver.count() - before) / (time.monotonic() - started)
    finally:
        server.stop()
        server.cleanup()
        receiver.server.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=500)
    args = parser.parse_args()
    cost = write_cost(args.backend, args.writes)

    def change(base: str, mode: str) -> str:
        return f"{(cost[mode] - cost[base]) / cost[base] * 100:+.1f}%"

    print(f"[{args.backend}] regista writes/s: dispatcher off {cost['off']:.0f}; on, no webhook {cost['idle']:.0f} "
          f"({change('off', 'idle')}); on, 1 webhook {cost['on']:.0f} ({change('off', 'on')})", flush=True)
    print(f"[{args.backend}] mlflow writes/s: no webhook {cost['mlflow-off']:.0f}; 1 webhook "
          f"{cost['mlflow-on']:.0f} ({change('mlflow-off', 'mlflow-on')})", flush=True)
    for kind in ("regista", "mlflow"):
        print(f"[{args.backend}] {kind}: {delivery(kind, args.backend, args.burst)}", flush=True)


if __name__ == "__main__":
    main()
