"""Model worker processes: start one (`python -m regista.serving_worker`, or the worker script under a model
environment's own interpreter), talk to it over its Unix socket, keep its log lines, stop it. A deployment
is one served entity's model at one concrete version: it builds the model's environment first when there
is one to build, keeps a worker running (restarting it when it dies), or none while scaled to zero, and
starts one on demand."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from regista.server.serving.services.frames import U32, frame, read_frame, read_u32

log = logging.getLogger("regista.serving")

READY_LINE = "regista-worker-ready"  # printed by regista.serving_worker once the model is loaded
LOG_LINES_KEPT = 2000

# Deployment states, in the API's words (ServedModelStateDeployment).
CREATING = "DEPLOYMENT_CREATING"
READY = "DEPLOYMENT_READY"
FAILED = "DEPLOYMENT_FAILED"
RECOVERING = "DEPLOYMENT_RECOVERING"


class WorkerUnavailable(Exception):
    """The worker could not answer (it died mid-request, or could not be started)."""


class LogBuffer:
    """The last lines a served entity's workers printed (the `logs` API), across restarts."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=LOG_LINES_KEPT)

    def add(self, line: str) -> None:
        self.lines.append(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {line}")

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


def worker_script() -> str:
    """The worker program's file, for interpreters where regista is not installed (model environments)."""
    spec = importlib.util.find_spec("regista.serving_worker")
    assert spec is not None and spec.origin is not None
    return spec.origin


# Runs the worker script as __main__ with the same sys.path as `-m` (the working directory first), not with
# the script's own folder first, where regista's package folders would shadow top-level modules.
_RUN_SCRIPT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


@dataclass(frozen=True)
class WorkerSpec:
    """How to start a worker: the interpreter, the model's local directory, extra environment variables;
    `script` runs the worker program from its file (an interpreter without regista) instead of `-m`."""

    python: str
    model_dir: str
    socket_path: str
    env: tuple[tuple[str, str], ...] = ()
    threads: int = 4
    script: str | None = None

    def argv(self) -> list[str]:
        program = ["-c", _RUN_SCRIPT, self.script] if self.script else ["-m", "regista.serving_worker"]
        return [self.python, *program, self.model_dir, self.socket_path, str(self.threads)]


class WorkerProcess:
    """One running worker and a pool of idle connections to it."""

    def __init__(self, spec: WorkerSpec, logs: LogBuffer) -> None:
        self.spec = spec
        self.logs = logs
        self.proc: asyncio.subprocess.Process | None = None
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._pump: asyncio.Task[None] | None = None

    async def start(self, timeout_s: float) -> None:
        """Spawn the worker and wait until it has loaded the model; WorkerUnavailable with the reason when
        it exits first or takes longer than `timeout_s`."""
        env = {**os.environ, **dict(self.spec.env), "PYTHONUNBUFFERED": "1"}
        self.proc = await asyncio.create_subprocess_exec(
            *self.spec.argv(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL,
            env=env, start_new_session=True,
        )
        ready = asyncio.get_running_loop().create_future()
        self._pump = asyncio.create_task(self._copy_output(ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), timeout_s)
        except TimeoutError:
            await self.stop()
            raise WorkerUnavailable(f"the model did not load within {timeout_s:.0f} s") from None
        if not ready.result():
            code = await self.proc.wait()
            raise WorkerUnavailable(f"the worker exited with code {code} while loading the model (see the logs)")

    async def _copy_output(self, ready: asyncio.Future[bool]) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            raw = await self.proc.stdout.readline()
            if not raw:
                break
            line = raw.decode(errors="replace").rstrip("\n")
            if line == READY_LINE and not ready.done():
                ready.set_result(True)
                continue
            self.logs.add(line)
        if not ready.done():
            ready.set_result(False)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def wait(self) -> int:
        assert self.proc is not None
        return await self.proc.wait()

    async def call(self, content_type: str, body: bytes) -> tuple[int, str, bytes]:
        """One invocation: (status, media type, body). WorkerUnavailable when the worker cannot answer."""
        conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = await asyncio.open_unix_connection(self.spec.socket_path)
            reader, writer = conn
            writer.write(frame(content_type.encode()) + U32.pack(len(body)))
            writer.write(body)
            await writer.drain()
            status = await read_u32(reader)
            media_type = (await read_frame(reader)).decode()
            data = await read_frame(reader)
        except (OSError, asyncio.IncompleteReadError) as err:
            if conn is not None:
                conn[1].close()
            raise WorkerUnavailable(f"the model worker did not answer ({type(err).__name__})") from None
        except BaseException:
            # Cancelled (the request's timeout): the connection is mid-exchange, never reuse it.
            if conn is not None:
                conn[1].close()
            raise
        self._idle.append(conn)
        return status, media_type, data

    async def stop(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pump, 5)
        with contextlib.suppress(OSError):
            os.unlink(self.spec.socket_path)


@dataclass(eq=False)
class Deployment:
    """A served entity's model at one concrete version, with the worker that runs it (when loaded)."""

    served_name: str
    entity_name: str
    version: str
    key: tuple[str, ...]
    spec: WorkerSpec
    logs: LogBuffer
    scale_to_zero: bool
    load_timeout_s: float
    state: str = CREATING
    message: str = ""
    inflight: int = 0
    last_used: float = field(default_factory=time.monotonic)
    worker: WorkerProcess | None = None
    stopping: bool = False
    # Builds (or finds cached) the model's environment and returns its interpreter; None: the spec's
    # interpreter as it is (the `local` environment manager). Raises WorkerUnavailable with the reason.
    environment: Callable[[], Coroutine[Any, Any, str]] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _watch: asyncio.Task[None] | None = None
    _loading: asyncio.Task[None] | None = None
    _building: asyncio.Task[str] | None = None

    async def _prepare(self) -> None:
        """The model's environment, once per deployment (a restart or a wake-up reuses it)."""
        if self.environment is None:
            return
        self._building = asyncio.create_task(self.environment())
        try:
            python = await self._building
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.stopping and task is not None and not task.cancelling():
                raise WorkerUnavailable("stopped while its environment was being built") from None
            raise
        finally:
            self._building = None
        self.spec = dataclasses.replace(self.spec, python=python)
        self.environment = None

    async def load(self) -> None:
        """Start the worker (first load, a restart, or a wake-up from zero); sets state and message."""
        async with self._lock:
            if self.stopping or (self.worker is not None and self.worker.alive):
                return
            try:
                await self._prepare()
                if self.stopping:
                    return
                worker = WorkerProcess(self.spec, self.logs)
                self.logs.add(f"starting worker for {self.entity_name} version {self.version}")
                await worker.start(self.load_timeout_s)
            except WorkerUnavailable as err:
                self.logs.add(f"load failed: {err}")
                self.message = f"Failed to load {self.entity_name} version {self.version}: {err}"
                if self.state != READY:
                    self.state = FAILED
                raise
            self.worker = worker
            self.state = READY
            self.message = ""
            self.last_used = time.monotonic()
            self._watch = asyncio.create_task(self._watch_worker(worker))

    async def _watch_worker(self, worker: WorkerProcess) -> None:
        """A worker that dies on its own (a crash, out of memory) is restarted; nothing else is touched."""
        code = await worker.wait()
        if self.stopping or self.worker is not worker:
            return
        self.worker = None
        self.state = RECOVERING
        self.logs.add(f"worker exited with code {code}; restarting")
        log.warning("serving worker of %s exited with code %s; restarting", self.served_name, code)
        await worker.stop()
        delay = 0.5
        while not self.stopping:
            try:
                await self.load()
                return
            except WorkerUnavailable:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    async def running(self) -> WorkerProcess:
        """The live worker, started first when scaled to zero or awaited while it restarts (the load time
        is bounded by the load timeout, not the request's)."""
        self.last_used = time.monotonic()
        worker = self.worker
        if worker is None or not worker.alive:
            if self.state == RECOVERING and self._watch is not None and not self._watch.done():
                await asyncio.shield(self._watch)
            else:
                # Shielded: a caller that gives up (its timeout) never leaves a half-started worker behind.
                if self._loading is None or self._loading.done():
                    self._loading = asyncio.create_task(self.load())
                await asyncio.shield(self._loading)
            worker = self.worker
            if worker is None:
                raise WorkerUnavailable("the model worker is not running")
        return worker

    async def scale_to_zero_if_idle(self, idle_s: float) -> None:
        worker = self.worker
        if not self.scale_to_zero or worker is None or self.inflight or self.stopping:
            return
        if time.monotonic() - self.last_used < idle_s:
            return
        async with self._lock:
            if self.inflight or self.worker is not worker:
                return
            self.worker = None
            self.logs.add(f"idle for {idle_s:.0f} s: scaled to zero")
        await worker.stop()

    async def drain_and_stop(self) -> None:
        """Stop once the requests already routed here have finished (a rollover never fails them)."""
        self.stopping = True
        if self._building is not None:
            self._building.cancel()  # a build in progress is killed and leaves nothing behind
        while self.inflight:
            await asyncio.sleep(0.05)
        async with self._lock:
            worker, self.worker = self.worker, None
        if worker is not None:
            await worker.stop()
        if self._watch is not None and not self._watch.done():
            self._watch.cancel()
