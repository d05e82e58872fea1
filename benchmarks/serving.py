"""Serving benchmark: `python -m benchmarks.serving [--requests N] [--concurrency C] [--rounds R] [--workers 1 2]
[--no-mlflow]`.

A small sklearn model (logistic regression on iris) answers one-row `dataframe_split` requests:
1. Throughput and latency under load (C client threads, N requests per round, best of R rounds): a regista
   serving endpoint (`POST /serving-endpoints/<name>/invocations`, SQLite, authentication off) against
   `mlflow models serve --env-manager local` (one uvicorn worker, its default) on the same machine.
2. Routing overhead, one request at a time: regista's median latency minus the time the same parse ->
   predict -> serialize takes in-process (mlflow's scoring function on the loaded model, which is what the
   model worker runs), and the same for `mlflow models serve`.
3. With `--workers 1 2`, one regista server per process count (`regista server --workers N`, each with its own
   data folder), measured the same way side by side, round after round. With N > 1 one process supervises
   the model worker and the others forward invocations to it over a Unix socket; a last phase sends
   sequential requests on a new connection each (so they land on every process) and reads the server-side
   duration of each from the access log (`duration_ms`, by `pid`): requests answered by the supervising
   process against those forwarded by another one.
The client threads share the machine with the servers, as a co-located client would.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson

from benchmarks.servers import free_port

BIN = Path(sys.executable).parent


def _wait(url: str, what: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up in {timeout_s} s")


def _model(tmp: Path, regista_url: str) -> tuple[str, Path, bytes]:
    """Train, register in regista (as `bench-iris` v1) and save locally; returns (name, local dir, body)."""
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris(as_frame=True)
    x: pd.DataFrame = iris.data
    clf = LogisticRegression(max_iter=500).fit(x, iris.target)
    signature = infer_signature(x, clf.predict(x))
    mlflow.set_tracking_uri(regista_url)
    mlflow.set_registry_uri(regista_url)
    with mlflow.start_run():
        mlflow.sklearn.log_model(clf, name="model", signature=signature, registered_model_name="bench-iris")
    local = Path(tempfile.mkdtemp(dir=tmp)) / "model"
    mlflow.sklearn.save_model(clf, str(local), signature=signature)
    body = orjson.dumps({"dataframe_split": {"columns": list(x.columns), "data": [x.iloc[0].tolist()]}})
    return "bench-iris", local, body


def _load(url: str, body: bytes, requests: int, concurrency: int, keep_alive: bool = True) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = requests // concurrency

    def client() -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        headers = {"Content-Type": "application/json", **({} if keep_alive else {"Connection": "close"})}
        with httpx.Client(timeout=60, headers=headers) as c:
            for _ in range(per_thread):
                start = time.perf_counter()
                r = c.post(url, content=body)
                mine.append(time.perf_counter() - start)
                bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(client) for _ in range(concurrency)]:
            f.result()
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": errors,
    }


def _best_of(targets: dict[str, str], body: bytes, requests: int, concurrency: int,
             rounds: int) -> dict[str, dict[str, float]]:
    """Best round (by req/s) of each target; the targets take turns round after round, so a change in the
    machine's load falls on all of them."""
    for url in targets.values():
        _load(url, body, min(200, requests), concurrency)  # warm-up: connections, first predictions
    results: dict[str, list[dict[str, float]]] = {k: [] for k in targets}
    for _ in range(rounds):
        for k, url in targets.items():
            results[k].append(_load(url, body, requests, concurrency))
    return {k: max(r, key=lambda x: x["rps"]) for k, r in results.items()}


def _regista(tmp: Path, workers: int, procs: list[subprocess.Popen[bytes]]) -> tuple[str, Path]:
    """A regista server with `workers` processes serving `bench`: (its URL, its log)."""
    port = free_port()
    folder = tmp / f"regista-{workers}"
    log = tmp / f"regista-{workers}.log"
    proc = subprocess.Popen(  # with its default logging (one access line per request)
        [str(BIN / "regista"), "server", "--port", str(port), "--data-dir", str(folder), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=open(log, "wb"), start_new_session=True,
    )
    procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    _wait(f"{url}/health", "regista", proc, log)
    return url, log


def _serve_bench(url: str, name: str) -> None:
    r = httpx.post(f"{url}/api/2.0/serving-endpoints", json={"name": "bench", "config": {"served_entities": [
        {"entity_name": name, "entity_version": "1", "workload_size": "Large", "scale_to_zero_enabled": False}]}})
    r.raise_for_status()
    deadline = time.monotonic() + 300
    while httpx.get(f"{url}/api/2.0/serving-endpoints/bench").json()["state"]["ready"] != "READY":
        if time.monotonic() > deadline:
            raise RuntimeError("the endpoint did not become ready")
        time.sleep(0.5)


def _by_process(log: Path, since: str) -> tuple[list[float], list[float]]:
    """Server-side durations (ms) of the invocations logged from `since` (ISO time) on: (answered by the
    supervising process, forwarded by another one)."""
    supervising, answered, forwarded = None, [], []
    entries = [orjson.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    for e in entries:
        if str(e.get("message", "")).endswith("supervises model serving for " + str(log.parent / log.stem)):
            supervising = e["pid"]
    for e in entries:
        if e.get("logger") == "regista.access" and e.get("path") == "/serving-endpoints/bench/invocations" \
                and e["time"] >= since:
            (answered if e["pid"] == supervising else forwarded).append(e["duration_ms"])
    return answered, forwarded


def _in_process(local: Path, body: bytes, n: int) -> float:
    """Median seconds of mlflow's own scoring function (parse, predict, serialize) on the loaded model."""
    import mlflow.pyfunc
    from mlflow.pyfunc import scoring_server

    model = mlflow.pyfunc.load_model(str(local))
    schema = model.metadata.get_input_schema()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        scoring_server.invocations(body, "application/json", model, schema)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="regista server process counts to measure side by side (default: 1)")
    parser.add_argument("--no-mlflow", action="store_true", help="leave out `mlflow models serve`")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        targets: dict[str, str] = {}
        logs: dict[str, Path] = {}
        local, body = Path(), b""
        for workers in args.workers:
            url, log = _regista(tmp, workers, procs)
            name, local, body = _model(tmp, url)
            _serve_bench(url, name)
            key = "regista" if args.workers == [1] else f"regista --workers {workers}"
            targets[key] = f"{url}/serving-endpoints/bench/invocations"
            logs[key] = log
        if not args.no_mlflow:
            mport = free_port()
            mlflow_serve = subprocess.Popen(
                [str(BIN / "mlflow"), "models", "serve", "-m", str(local), "--env-manager", "local",
                 "-p", str(mport), "-h", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=open(tmp / "mlflow.log", "wb"), start_new_session=True,
                # It runs `uvicorn` by name: the one beside this interpreter.
                env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
            )
            procs.append(mlflow_serve)
            murl = f"http://127.0.0.1:{mport}"
            _wait(f"{murl}/ping", "mlflow models serve", mlflow_serve, tmp / "mlflow.log")
            targets["mlflow models serve"] = f"{murl}/invocations"

        loaded = _best_of(targets, body, args.requests, args.concurrency, args.rounds)
        single = _best_of(targets, body, max(200, args.requests // 10), 1, args.rounds)
        # Sequential, a new connection per request: spread over every process of a multi-process server.
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1))
        time.sleep(1.1)  # the access log's times are compared from the next whole second
        spread = {k: _load(u, body, max(200, args.requests // 10), 1, keep_alive=False)
                  for k, u in targets.items() if k.startswith("regista")}
        in_process_ms = 1000 * _in_process(local, body, 500)
        load_avg = os.getloadavg()[0]

        print(f"\nload average at the end: {load_avg:.1f}; {args.requests} requests x best of {args.rounds}, "
              f"{args.concurrency} client threads\n")
        print("| server | req/s | p50 ms | p99 ms | errors | sequential p50 ms | sequential p99 ms |")
        print("|---|---|---|---|---|---|---|")
        for k in targets:
            a, q = loaded[k], single[k]
            print(f"| {k} | {a['rps']:.0f} | {a['p50_ms']:.1f} | {a['p99_ms']:.1f} | {a['errors']:.0f} | "
                  f"{q['p50_ms']:.2f} | {q['p99_ms']:.2f} |")
        print(f"\nin-process scoring (parse, predict, serialize), median: {in_process_ms:.2f} ms")
        for k in targets:
            print(f"routing overhead of {k} (sequential p50 - in-process): {single[k]['p50_ms'] - in_process_ms:.2f} ms")
        print("\nsequential, a new connection per request:")
        for k, r in spread.items():
            line = f"  {k}: client p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, errors {r['errors']:.0f}"
            answered, forwarded = _by_process(logs[k], since)
            if forwarded:
                line += (f"; server-side p50 answered by the supervising process {statistics.median(answered):.2f} ms "
                         f"(n={len(answered)}), forwarded {statistics.median(forwarded):.2f} ms (n={len(forwarded)})")
            print(line)
    finally:
        for p in procs:
            # Each server runs in a session of its own (mlflow's uvicorn and regista's model workers are
            # children): stop the whole group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
