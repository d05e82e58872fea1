"""Entry point: `python -m benchmarks.run [--quick] [--only KIND] [--backend sqlite|postgresql|both] [--out FILE]`.

Servers: the official `mlflow server`, `regista server`, and `regista server --auth` driven by a non-admin
service principal. Each starts fresh in its own temp dir, on its own SQLite file or on a fresh PostgreSQL
database (created before it starts, dropped after it stops; `--backend both`, the default, runs the whole
comparison on SQLite and then on PostgreSQL); spawn → first healthy /health is timed;
each gets its own load generator (`benchmarks.loadgen`) as a separate process; the phases run one by one
while the server's process-tree RSS is sampled every 100 ms and its CPU time read around every phase.
MLflow runs alone first; the two regista servers then run side by side and take turns phase by phase, so
the auth-on/auth-off comparison sees the same machine conditions. Raw results are saved under
`benchmarks/results/`; the comparison table is printed and written to `--out`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.servers import ADMIN_TOKEN, BACKENDS, REPO, Server, machine_busy_seconds

KINDS = ("mlflow", "regista", "regista-auth")

FULL = {"models": 2000, "versions": 5, "runs": 2000, "point_reads": 5000}
QUICK = {"models": 200, "versions": 5, "runs": 200, "point_reads": 500}

# Execution order. log_batch runs before the point reads so that runs/get returns runs that carry
# 100 metrics and 20 params, as real runs do; the report lists phases in the numbering.
ORDER = [
    "setup",
    "warmup",
    "health",
    "create_runs",
    "log_batch",
    "create_registered_models",
    "create_model_versions",
    "set_aliases",
    "point_reads",
    "search_registered_models",
    "search_model_versions",
    "search_runs",
    "concurrent_versions",
]
RESULTS_DIR = REPO / "benchmarks" / "results"


class LoadGen:
    """The load generator subprocess, driven one JSON line per phase."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.loadgen"], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def call(self, cmd: dict) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator exited with {self.proc.wait()}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Profiler:
    """Optional py-spy recording of the server tree during each phase (`--py-spy DIR`).

    `--gil` samples only the thread holding the GIL, i.e. where the server's Python CPU goes; waits on
    SQLite locks or sockets do not show. Summarize with `python -m benchmarks.profile_summary`."""

    def __init__(self, outdir: str | None) -> None:
        self.outdir = Path(outdir) if outdir else None
        self.proc: subprocess.Popen | None = None

    def start(self, server: Server, phase: str) -> None:
        if self.outdir is None or server.proc is None:
            return
        self.outdir.mkdir(parents=True, exist_ok=True)
        out = self.outdir / f"{server.kind}-{phase}.txt"
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.proc.pid), "--subprocesses",
             "--rate", "200", "--gil", "--format", "raw", "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let py-spy attach before the phase starts

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(2)  # SIGINT: py-spy writes its output and exits
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


class Session:
    """One server under test with its own load generator; phases run one at a time (see bench)."""

    def __init__(self, kind: str, backend: str, sizes: dict, concurrency: int, regista_workers: int | None) -> None:
        extra = ("--workers", str(regista_workers)) if kind != "mlflow" and regista_workers else ()
        self.kind = kind
        self.sizes = sizes
        self.concurrency = concurrency
        self.server = Server(kind, backend=backend, extra_args=extra)
        self.loadgen: LoadGen | None = None
        self.result: dict = {"kind": kind, "backend": backend, "command": self.server.display_command(),
                             "phases": {}}

    def start(self) -> None:
        kind, server, result = self.kind, self.server, self.result
        print(f"[{kind}] starting: {server.display_command()}", flush=True)
        server.start()
        result["startup_s"] = server.startup_s
        time.sleep(1.0)  # let worker processes settle before counting them
        result["processes_idle"] = server.processes()
        result["rss_idle_mib"] = server.rss_now_kib() / 1024
        print(f"[{kind}] healthy after {server.startup_s:.2f}s, {result['processes_idle']} processes, "
              f"{result['rss_idle_mib']:.0f} MiB", flush=True)
        token = workload_token(server) if kind == "regista-auth" else None
        self.loadgen = LoadGen()
        self.loadgen.call({"phase": "init", "host": "127.0.0.1", "port": server.port, "sizes": self.sizes,
                           "concurrency": self.concurrency, "token": token})

    def phase(self, phase: str, profiler: Profiler) -> None:
        assert self.loadgen is not None
        server = self.server
        profiler.start(server, phase)
        cpu0, busy0 = server.cpu_total(), machine_busy_seconds()
        reply = self.loadgen.call({"phase": phase})
        reply["server_cpu_s"] = server.cpu_total() - cpu0
        # CPU that neither the server nor the load generator used: other work on the machine.
        other = machine_busy_seconds() - busy0 - reply["server_cpu_s"] - reply.get("client_cpu_s", 0)
        if reply.get("wall_s"):
            reply["other_load_cores"] = max(0.0, other) / reply["wall_s"]
        profiler.stop()
        reply["rss_after_mib"] = server.rss_now_kib() / 1024
        if reply.get("calls"):
            reply["server_cpu_ms_per_call"] = 1000 * reply["server_cpu_s"] / reply["calls"]
        self.result["phases"][phase] = reply
        print(f"[{self.kind}] {report.phase_line(phase, reply)}", flush=True)

    def finish(self, error: Exception | None = None) -> dict:
        result, server = self.result, self.server
        if error is not None:
            result["failed"] = f"{type(error).__name__}: {error}"
            print(f"[{self.kind}] FAILED: {result['failed']}", flush=True)
        elif server.proc is not None:
            result["peak_rss_mib"] = server.peak_rss_kib / 1024
            result["peak_processes"] = server.peak_processes
            print(f"[{self.kind}] peak RSS {result['peak_rss_mib']:.0f} MiB over {server.peak_processes} "
                  "processes", flush=True)
        if self.loadgen is not None:
            self.loadgen.close()
        server.stop()
        # The server's own log explains 5xx responses; keep its tail with the results.
        result["server_log_tail"] = server.log_tail(80)
        server.cleanup()
        return result


def bench(
    kinds: list[str], backend: str, sizes: dict, concurrency: int, profiler: Profiler,
    regista_workers: int | None = None,
) -> dict[str, dict]:
    """Run every phase against each server in `kinds`. Several servers run side by side and take turns
    phase by phase (the idle one waits), so a burst of other work on the machine hits both comparably:
    that is how auth-on is compared with auth-off."""
    sessions = [Session(kind, backend, sizes, concurrency, regista_workers) for kind in kinds]
    errors: dict[str, Exception] = {}
    try:
        for session in sessions:
            try:
                session.start()
            except Exception as exc:  # noqa: BLE001 - reported in the table
                errors[session.kind] = exc
        for phase in ORDER:
            for session in sessions:
                if session.kind in errors:
                    continue
                try:
                    session.phase(phase, profiler)
                except Exception as exc:  # noqa: BLE001 - reported in the table
                    errors[session.kind] = exc
    finally:
        results = {s.kind: s.finish(errors.get(s.kind)) for s in sessions}
    return results


def workload_token(server: Server) -> str:
    """A token for a fresh, non-admin service principal, made the way an operator would: SCIM create, then an
    on-behalf-of token. The workload then pays for real permission checks (it manages what it creates, as
    every creator does), not the admin's short cut."""
    import httpx

    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    base = server.base_url
    sp = httpx.post(f"{base}/api/2.0/preview/scim/v2/ServicePrincipals", headers=headers,
                    json={"displayName": "benchmark"}).raise_for_status().json()
    made = httpx.post(f"{base}/api/2.0/token-management/on-behalf-of/tokens", headers=headers,
                      json={"application_id": sp["applicationId"], "comment": "benchmark"}).raise_for_status()
    return str(made.json()["token_value"])


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                       if x.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kib = 0

    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=60).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    bin_dir = Path(sys.executable).parent
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "mlflow": version([str(bin_dir / "python"), "-c", "import importlib.metadata as m; print(m.version('mlflow'))"]),
        "regista": version([str(bin_dir / "regista"), "version"]),
        "commit": version(["git", "rev-parse", "--short", "HEAD"]),
        "loadavg_at_start": os.getloadavg(),
    }


def saved_path(kind: str, backend: str, mode: str) -> Path:
    return RESULTS_DIR / f"{kind}-{backend}-{mode}.json"


def load_saved(backends: list[str], mode: str, into: dict[str, dict[str, dict]] | None = None) -> dict:
    """Fill `into[backend][kind]` from the last saved run wherever this run did not measure it."""
    out = into if into is not None else {}
    for backend in backends:
        for kind in KINDS:
            path = saved_path(kind, backend, mode)
            if kind not in out.setdefault(backend, {}) and path.exists():
                out[backend][kind] = json.loads(path.read_text())["result"]
                out[backend][kind]["reused"] = True
    return out


def render(args: argparse.Namespace) -> int:
    mode = "quick" if args.quick else "full"
    meta = json.loads((RESULTS_DIR / f"meta-{mode}.json").read_text())
    results = load_saved(meta.get("backends", ["sqlite"]), mode)
    print(report.table(results, meta))
    if args.out:
        report.write(REPO / args.out, report.markdown(results, meta))
        print(f"wrote {REPO / args.out}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~10x smaller sizes for a fast check")
    parser.add_argument("--only", choices=list(KINDS),
                        help="run one server; the other's numbers come from its last saved run, if any")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both",
                        help="database of every server under test (default: both, SQLite first)")
    parser.add_argument("--out", default="docs/benchmarks.md", help="markdown report to write ('' to skip)")
    parser.add_argument("--regista-workers", type=int, default=None,
                        help="run regista with --workers N (default: regista's own default)")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive client connections")
    parser.add_argument("--py-spy", metavar="DIR", help="record py-spy profiles of each phase into DIR (results are then not saved)")
    parser.add_argument("--render", action="store_true",
                        help="only re-render --out from the saved results of the last run (no servers)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        return render(args)

    sizes = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    kinds = [args.only] if args.only else list(KINDS)
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    info = machine()
    results: dict[str, dict[str, dict]] = {}
    profiler = Profiler(args.py_spy)
    # Per database: MLflow alone, then the regista servers side by side, taking turns phase by phase (see bench).
    groups = [[k for k in kinds if k == "mlflow"], [k for k in kinds if k != "mlflow"]]
    for backend in backends:
        for group in (g for g in groups if g):
            for kind, result in bench(group, backend, sizes, args.concurrency, profiler,
                                      args.regista_workers).items():
                results.setdefault(backend, {})[kind] = result
                result["date"] = started.isoformat(timespec="seconds")
                if args.py_spy:
                    continue  # profiled numbers are perturbed by the sampler: never saved as results
                RESULTS_DIR.mkdir(exist_ok=True)
                saved_path(kind, backend, mode).write_text(
                    json.dumps({"sizes": sizes, "machine": info, "result": result}, indent=1))
    load_saved(backends, mode, results)
    elapsed = time.perf_counter() - t0
    command = "python -m benchmarks.run" + " ".join(["", *(argv if argv is not None else sys.argv[1:])]).rstrip()
    meta = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "command": command, "elapsed_s": elapsed,
            "sizes": sizes, "mode": mode, "concurrency": args.concurrency, "machine": info, "backends": backends,
            "regista_workers": args.regista_workers}
    print()
    print(report.table(results, meta))
    print(f"\ntotal run time: {elapsed / 60:.1f} min")
    if not args.py_spy:
        (RESULTS_DIR / f"meta-{mode}.json").write_text(json.dumps(meta, indent=1))
    if args.out:
        out = REPO / args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        report.write(out, report.markdown(results, meta))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
