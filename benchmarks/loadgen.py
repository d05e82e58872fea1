"""The load generator: a separate process driven line by line over stdin/stdout by `benchmarks.run`.

Each input line is a JSON command `{"phase": name, "args": {...}}`; the reply is one JSON line with the
phase's statistics (calls, errors, wall time, throughput, p50/p95 latency, this process's CPU seconds)
and a correctness `check`. State the later phases need (run ids, model names) stays in this process.
Requests go over `concurrency` keep-alive connections (one coroutine per connection).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import traceback
import urllib.parse
from collections import defaultdict

import orjson

from benchmarks.httpclient import Connection

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
N_METRICS = 100
N_PARAMS = 20
ALIAS = "champion"
MLMODEL = b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: bench\n"

Job = tuple[str, str, bytes | None]  # method, path, body


def get(path: str, **params: object) -> Job:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return ("GET", f"{API}/{path}" + (f"?{query}" if query else ""), None)


def post(path: str, body: dict) -> Job:
    return ("POST", f"{API}/{path}", orjson.dumps(body))


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class PhaseError(Exception):
    """A phase could not run (a request it depends on failed)."""


class Workload:
    def __init__(self, host: str, port: int, sizes: dict, concurrency: int = 8, seed: int = 7,
                 token: str | None = None) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.sizes = sizes
        self.concurrency = concurrency
        self.rng = random.Random(seed)
        self.experiment_id: str | None = None
        self.source_run_id: str | None = None
        self.source: str | None = None
        self.run_ids: list[str] = []
        self.m0: dict[str, float] = {}
        self.models = [f"bench-model-{i:05d}" for i in range(sizes["models"])]
        self.versions_created = False

    # ---- plumbing -------------------------------------------------------------------------------
    def connect(self) -> Connection:
        return Connection(self.host, self.port, self.token)

    def _stats(self, latencies: list[float], wall: float, cpu: float, errors: list[dict], n_err: int,
               calls: int, unit: str = "calls") -> dict:
        return {
            "calls": calls,
            "errors": n_err,
            "error_samples": errors[:3],
            "wall_s": wall,
            "throughput": (calls - n_err) / wall if wall > 0 else None,
            "unit": unit,
            "p50_ms": (percentile(latencies, 0.50) or 0) * 1000 if latencies else None,
            "p95_ms": (percentile(latencies, 0.95) or 0) * 1000 if latencies else None,
            "client_cpu_s": cpu,
            "client_cpu_pct": 100 * cpu / wall if wall > 0 else None,
        }

    @staticmethod
    def _error(job: Job, status: int, body: bytes | str) -> dict:
        method, path, req = job
        return {"request": f"{method} {path}", "request_body": (req or b"")[:300].decode(errors="replace"),
                "status": status, "response": (body if isinstance(body, str) else body.decode(errors="replace"))[:600]}

    async def run_jobs(self, jobs: list[Job], keep: bool = False, conns: int | None = None,
                       kinds: list[str] | None = None) -> tuple[dict, list]:
        """Run `jobs` over `conns` keep-alive connections; returns (stats, parsed responses if `keep`)."""
        conns = conns or self.concurrency
        results: list = [None] * len(jobs)
        latencies: list[float] = []
        by_kind: dict[str, list[float]] = defaultdict(list)
        errors: list[dict] = []
        n_err = 0
        it = iter(range(len(jobs)))
        pool = [self.connect() for _ in range(min(conns, len(jobs)))]
        clock = time.perf_counter

        async def worker(conn: Connection) -> None:
            nonlocal n_err
            for i in it:
                job = jobs[i]
                t = clock()
                try:
                    status, body = await conn.request(*job)
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    status, body = 0, repr(exc)
                dt = clock() - t
                latencies.append(dt)
                if kinds is not None:
                    by_kind[kinds[i]].append(dt)
                if status != 200:
                    n_err += 1
                    if len(errors) < 3:
                        errors.append(self._error(job, status, body))
                elif keep:
                    results[i] = orjson.loads(body) if body else {}

        cpu0, t0 = time.process_time(), clock()
        await asyncio.gather(*(worker(c) for c in pool))
        wall, cpu = clock() - t0, time.process_time() - cpu0
        for c in pool:
            c.close()
        stats = self._stats(latencies, wall, cpu, errors, n_err, len(jobs))
        if kinds is not None:
            stats["by_kind_p50_ms"] = {k: percentile(v, 0.5) * 1000 for k, v in sorted(by_kind.items())}
        return stats, results

    async def run_pagers(self, first: Job, next_job, items_key: str, pagers: int | None = None) -> tuple[dict, list]:
        """`pagers` clients each page through a whole listing; `next_job(token)` builds the next request."""
        pagers = pagers or self.concurrency
        latencies: list[float] = []
        errors: list[dict] = []
        n_err = 0
        calls = 0
        walks: list[dict] = []
        clock = time.perf_counter

        async def pager() -> None:
            nonlocal n_err, calls
            conn = self.connect()
            job, items, pages, t_start = first, [], 0, clock()
            while True:
                t = clock()
                try:
                    status, body = await conn.request(*job)
                except Exception as exc:  # noqa: BLE001
                    status, body = 0, repr(exc)
                latencies.append(clock() - t)
                calls += 1
                if status != 200:
                    n_err += 1
                    if len(errors) < 3:
                        errors.append(self._error(job, status, body))
                    break
                page = orjson.loads(body)
                items.extend(page.get(items_key, []))
                pages += 1
                token = page.get("next_page_token")
                if not token:
                    break
                if pages > 100_000:
                    raise PhaseError("pager did not terminate")
                job = next_job(token)
            conn.close()
            walks.append({"items": items, "pages": pages, "seconds": clock() - t_start})

        cpu0, t0 = time.process_time(), clock()
        await asyncio.gather(*(pager() for _ in range(pagers)))
        wall, cpu = clock() - t0, time.process_time() - cpu0
        stats = self._stats(latencies, wall, cpu, errors, n_err, calls, unit="pages")
        stats["walk_s_mean"] = sum(w["seconds"] for w in walks) / len(walks)
        stats["pages_per_walk"] = walks[0]["pages"] if walks else 0
        return stats, walks

    async def one(self, job: Job) -> dict:
        conn = self.connect()
        try:
            status, body = await conn.request(*job)
        finally:
            conn.close()
        if status != 200:
            raise PhaseError(orjson.dumps(self._error(job, status, body)).decode())
        return orjson.loads(body) if body else {}

    # ---- phases ---------------------------------------------------------------------------------
    async def setup(self) -> dict:
        """One experiment, one source run with a tiny model artifact uploaded through the proxy."""
        t0 = time.perf_counter()
        exp = await self.one(post("experiments/create", {"name": "bench"}))
        self.experiment_id = exp["experiment_id"]
        run = await self.one(post("runs/create", {"experiment_id": self.experiment_id, "run_name": "source",
                                                  "start_time": int(time.time() * 1000)}))
        info = run["run"]["info"]
        self.source_run_id = info["run_id"]
        # mlflow-artifacts:/<path> or mlflow-artifacts://host:port/<path>
        parsed = urllib.parse.urlparse(info["artifact_uri"])
        if parsed.scheme != "mlflow-artifacts":
            raise PhaseError(f"run artifact_uri is not proxied: {info['artifact_uri']}")
        rel = parsed.path.lstrip("/")
        conn = self.connect()
        path = f"{ARTIFACTS}/{rel}/model/MLmodel"
        status, body = await conn.request("PUT", path, MLMODEL, content_type=b"application/octet-stream")
        conn.close()
        if status != 200:
            raise PhaseError(orjson.dumps(self._error(("PUT", path, MLMODEL), status, body)).decode())
        self.source = f"runs:/{self.source_run_id}/model"
        return {"wall_s": time.perf_counter() - t0, "check": {"ok": True, "artifact_uri": info["artifact_uri"],
                                                              "source": self.source}}

    async def warmup(self) -> dict:
        """Untimed: touch the tracking and registry stores over 16 connections (MLflow's workers
        initialise their stores lazily on first use; keep-alive connections stick to one worker)."""
        jobs = [job for _ in range(16) for job in (
            post("experiments/search", {"max_results": 10}),
            get("runs/get", run_id=self.source_run_id),
            get("registered-models/search", max_results=10),
            get("model-versions/search", max_results=10))]
        stats, _ = await self.run_jobs(jobs, conns=16)
        return {"wall_s": stats["wall_s"], "calls": stats["calls"], "errors": stats["errors"],
                "error_samples": stats["error_samples"], "check": {"ok": stats["errors"] == 0}}

    async def health(self) -> dict:
        """Baseline: GET /health, the cheapest request each server has (its HTTP stack's floor)."""
        stats, _ = await self.run_jobs([("GET", "/health", None)] * self.sizes["point_reads"])
        stats["check"] = {"ok": stats["errors"] == 0}
        return stats

    async def create_runs(self) -> dict:
        now = int(time.time() * 1000)
        jobs = [post("runs/create", {"experiment_id": self.experiment_id, "run_name": f"r{i}", "start_time": now + i})
                for i in range(self.sizes["runs"])]
        stats, results = await self.run_jobs(jobs, keep=True)
        self.run_ids = [r["run"]["info"]["run_id"] for r in results if r]
        stats["check"] = {"ok": len(self.run_ids) == len(jobs), "runs": len(self.run_ids)}
        return stats

    async def log_batch(self) -> dict:
        now = int(time.time() * 1000)
        jobs = []
        for run_id in self.run_ids:
            values = [self.rng.random() for _ in range(N_METRICS)]
            self.m0[run_id] = values[0]
            body = {"run_id": run_id,
                    "metrics": [{"key": f"m{k}", "value": v, "timestamp": now, "step": 0} for k, v in enumerate(values)],
                    "params": [{"key": f"p{j}", "value": f"value-{j}-{self.rng.randrange(1000)}"} for j in range(N_PARAMS)]}
            jobs.append(post("runs/log-batch", body))
        stats, _ = await self.run_jobs(jobs)
        stats["check"] = {"ok": stats["errors"] == 0}
        return stats

    async def create_registered_models(self) -> dict:
        jobs = [post("registered-models/create", {"name": name}) for name in self.models]
        stats, results = await self.run_jobs(jobs, keep=True)
        names = {r["registered_model"]["name"] for r in results if r}
        stats["check"] = {"ok": names == set(self.models), "created": len(names)}
        return stats

    async def create_model_versions(self) -> dict:
        # Version-major order, so concurrent requests never target the same model.
        jobs = [post("model-versions/create", {"name": name, "source": self.source, "run_id": self.source_run_id})
                for _ in range(self.sizes["versions"]) for name in self.models]
        stats, results = await self.run_jobs(jobs, keep=True)
        got: dict[str, list[int]] = defaultdict(list)
        for r in results:
            if r:
                got[r["model_version"]["name"]].append(int(r["model_version"]["version"]))
        expected = list(range(1, self.sizes["versions"] + 1))
        bad = [n for n in self.models if sorted(got.get(n, [])) != expected]
        stats["check"] = {"ok": not bad, "models_with_wrong_versions": len(bad)}
        return stats

    async def set_aliases(self) -> dict:
        v = self.sizes["versions"]
        jobs = [post("registered-models/alias", {"name": name, "alias": ALIAS, "version": str(i % v + 1)})
                for i, name in enumerate(self.models)]
        stats, _ = await self.run_jobs(jobs)
        stats["check"] = {"ok": stats["errors"] == 0}
        return stats

    async def point_reads(self) -> dict:
        rng, v = self.rng, self.sizes["versions"]
        jobs: list[Job] = []
        kinds: list[str] = []
        for i in range(self.sizes["point_reads"]):
            kind = ("registered-models/get", "model-versions/get", "registered-models/alias",
                    "runs/get", "experiments/get")[i % 5]
            name = rng.choice(self.models)
            if kind == "registered-models/get":
                job = get(kind, name=name)
            elif kind == "model-versions/get":
                job = get(kind, name=name, version=rng.randint(1, v))
            elif kind == "registered-models/alias":
                job = get(kind, name=name, alias=ALIAS)
            elif kind == "runs/get":
                job = get(kind, run_id=rng.choice(self.run_ids))
            else:
                job = get(kind, experiment_id=self.experiment_id)
            jobs.append(job)
            kinds.append(kind)
        stats, _ = await self.run_jobs(jobs, kinds=kinds)
        stats["check"] = {"ok": stats["errors"] == 0}
        return stats

    async def search_registered_models(self) -> dict:
        stats, walks = await self.run_pagers(
            get("registered-models/search", max_results=100),
            lambda t: get("registered-models/search", max_results=100, page_token=t), "registered_models")
        counts = sorted({len({m["name"] for m in w["items"]}) for w in walks})
        stats["check"] = {"ok": counts == [len(self.models)], "distinct_per_walk": counts}
        return stats

    async def search_model_versions(self) -> dict:
        stats, walks = await self.run_pagers(
            get("model-versions/search", max_results=100),
            lambda t: get("model-versions/search", max_results=100, page_token=t), "model_versions")
        counts = sorted({len({(m["name"], m["version"]) for m in w["items"]}) for w in walks})
        expected = len(self.models) * self.sizes["versions"]
        stats["check"] = {"ok": counts == [expected], "distinct_per_walk": counts, "expected": expected}
        return stats

    async def search_runs(self) -> dict:
        base = {"experiment_ids": [self.experiment_id], "filter": "metrics.m0 > 0.5",
                "order_by": ["metrics.m0 DESC"], "max_results": 100}
        stats, walks = await self.run_pagers(post("runs/search", base),
                                             lambda t: post("runs/search", {**base, "page_token": t}), "runs")
        expected = sorted((v for v in self.m0.values() if v > 0.5), reverse=True)
        ok = True
        for w in walks:
            got = [next((m["value"] for m in r["data"].get("metrics", []) if m["key"] == "m0"), None)
                   for r in w["items"]]
            if got != expected:
                ok = False
        stats["check"] = {"ok": ok, "expected_runs": len(expected),
                          "runs_per_walk": sorted({len(w["items"]) for w in walks})}
        return stats

    async def concurrent_versions(self) -> dict:
        """32 simultaneous model-versions/create on one fresh model must yield exactly 1..32."""
        name, n = "bench-concurrent", 32
        await self.one(post("registered-models/create", {"name": name}))
        conns = [self.connect() for _ in range(n)]
        for c in conns:  # connect first, so that the creates really arrive together
            await c.request("GET", "/health")
        job = post("model-versions/create", {"name": name, "source": self.source, "run_id": self.source_run_id})
        t0 = time.perf_counter()
        replies = await asyncio.gather(*(c.request(*job) for c in conns), return_exceptions=True)
        wall = time.perf_counter() - t0
        for c in conns:
            c.close()
        versions, errors = [], []
        for r in replies:
            if isinstance(r, BaseException):
                errors.append({"request": job[1], "status": 0, "response": repr(r)})
            elif r[0] != 200:
                errors.append(self._error(job, r[0], r[1]))
            else:
                versions.append(int(orjson.loads(r[1])["model_version"]["version"]))
        stored = await self.one(get("model-versions/search", filter=f"name='{name}'", max_results=100))
        stored_versions = sorted(int(m["version"]) for m in stored.get("model_versions", []))
        ok = sorted(versions) == list(range(1, n + 1)) and stored_versions == list(range(1, n + 1))
        return {"calls": n, "errors": len(errors), "error_samples": errors[:3], "wall_s": wall,
                "check": {"ok": ok, "returned": sorted(versions), "stored": stored_versions}}


PHASES = {
    "setup": Workload.setup,
    "warmup": Workload.warmup,
    "health": Workload.health,
    "create_runs": Workload.create_runs,
    "log_batch": Workload.log_batch,
    "create_registered_models": Workload.create_registered_models,
    "create_model_versions": Workload.create_model_versions,
    "set_aliases": Workload.set_aliases,
    "point_reads": Workload.point_reads,
    "search_registered_models": Workload.search_registered_models,
    "search_model_versions": Workload.search_model_versions,
    "search_runs": Workload.search_runs,
    "concurrent_versions": Workload.concurrent_versions,
}


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    workload: Workload | None = None
    while line := await reader.readline():
        cmd = orjson.loads(line)
        try:
            if cmd["phase"] == "init":
                workload = Workload(cmd["host"], cmd["port"], cmd["sizes"], cmd.get("concurrency", 8),
                                    token=cmd.get("token"))
                reply: dict = {"ok": True}
            else:
                assert workload is not None
                reply = await PHASES[cmd["phase"]](workload)
        except Exception as exc:  # noqa: BLE001 - the orchestrator reports it
            reply = {"failed": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-2000:]}
        sys.stdout.write(orjson.dumps(reply).decode() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
