"""Start a server under test fresh (own temp dir, free port, its own SQLite file or PostgreSQL database),
watch its process tree, stop it.

The process tree is read from /proc (no psutil): `/proc/<pid>/task/*/children` for descendants,
`VmRSS` in `/proc/<pid>/status` for memory and utime+stime in `/proc/<pid>/stat` for CPU.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The PostgreSQL server the PostgreSQL mode uses (the tests' default); each server under test gets a fresh
# database on it, created before the server starts and dropped after it stops.
PG_ADMIN_DSN = os.environ.get("REGISTA_BENCH_PG_DSN",
                              os.environ.get("REGISTA_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
BACKENDS = ("sqlite", "postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants (alive at the time of the walk)."""
    seen: list[int] = []
    stack = [pid]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.append(p)
        stack.extend(children(p))
    return seen


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime/stime are fields 14/15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle/iowait) since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


# The built-in admin's token of the `regista-auth` server; the workload itself runs as a service principal.
ADMIN_TOKEN = "dapi" + "be" * 16


@dataclass
class Server:
    """One server under test: `kind` is "mlflow", "regista" or "regista-auth" (regista with --auth)."""

    kind: str
    # "sqlite" (a file in the temp dir) or "postgresql" (a fresh database on PG_ADMIN_DSN's server).
    backend: str = "sqlite"
    # Extra `regista server` flags (e.g. ["--workers", "2"]); the official server always runs its defaults.
    extra_args: tuple[str, ...] = ()
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="regista-bench-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    startup_s: float | None = None
    peak_rss_kib: int = 0
    peak_processes: int = 0
    _cpu_dead: dict[int, float] = field(default_factory=dict)
    _cpu_last: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None
    _pg_database: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def database_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / 'db.sqlite'}"
        if self._pg_database is None:
            self._pg_database = f"regista_bench_{self.kind.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        base = PG_ADMIN_DSN.rsplit("/", 1)[0]
        # MLflow's SQLAlchemy would default to psycopg2 (not installed); both servers use psycopg 3.
        driver = "postgresql+psycopg" if self.kind == "mlflow" else "postgresql"
        return f"{driver}{base[base.index(':'):]}/{self._pg_database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(sql)

    def command(self) -> list[str]:
        db = self.database_url()
        artifacts = str(self.workdir / "artifacts")
        if self.kind == "mlflow":
            return [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(self.port),
                    "--backend-store-uri", db, "--artifacts-destination", artifacts]
        auth = ("--auth",) if self.kind == "regista-auth" else ()
        return [str(BIN / "regista"), "server", "--port", str(self.port), "--backend-store-uri", db,
                "--artifacts-destination", artifacts, "--data-dir", str(self.workdir / "data"),
                *auth, *self.extra_args]

    def display_command(self) -> str:
        return " ".join(Path(self.command()[0]).name if i == 0 else a for i, a in enumerate(self.command()))

    def start(self, timeout_s: float = 180.0) -> None:
        log = open(self.workdir / "server.log", "wb")
        env = dict(os.environ)
        env.pop("MLFLOW_TRACKING_URI", None)
        if self.kind == "regista-auth":
            env["REGISTA_ADMIN_TOKEN"] = ADMIN_TOKEN
        if self.backend == "postgresql":
            self.database_url()
            self._admin(f'CREATE DATABASE "{self._pg_database}"')
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.proc.returncode}; "
                                   f"log: {self.workdir / 'server.log'}\n{self.log_tail()}")
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"{self.kind} server not healthy after {timeout_s}s\n{self.log_tail()}")
            if self._healthy():
                self.startup_s = time.perf_counter() - t0
                return
            time.sleep(0.05)

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join((self.workdir / "server.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/health")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def _sample(self) -> None:
        while not self._stop.is_set() and self.proc is not None and self.proc.poll() is None:
            pids = tree(self.proc.pid)
            rss = sum(rss_kib(p) for p in pids)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_processes = max(self.peak_processes, len(pids))
            self._stop.wait(0.1)

    def processes(self) -> int:
        return len(tree(self.proc.pid)) if self.proc else 0

    def rss_now_kib(self) -> int:
        return sum(rss_kib(p) for p in tree(self.proc.pid)) if self.proc else 0

    def _database_backends(self) -> list[int]:
        """PIDs of the PostgreSQL backend processes serving this server's database: they do the server's
        SQL work but are children of the postmaster, not of the server."""
        if self._pg_database is None:
            return []
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self._pg_database,))
            return [int(pid) for (pid,) in rows]

    def cpu_total(self) -> float:
        """CPU seconds used by the tree so far, plus its PostgreSQL backends' (processes that exited keep
        their last reading)."""
        pids = [*tree(self.proc.pid), *self._database_backends()] if self.proc else []
        current = {p: cpu_seconds(p) for p in pids}
        for p, v in self._cpu_last.items():
            if p not in current:
                self._cpu_dead[p] = v
        self._cpu_last = current
        return sum(current.values()) + sum(self._cpu_dead.values())

    def stop(self) -> None:
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            pids = tree(self.proc.pid)
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            for p in pids:  # anything that left the process group or ignored SIGTERM
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=15)
        if self._sampler is not None:
            self._sampler.join(timeout=2)

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self._pg_database is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)')
            self._pg_database = None
