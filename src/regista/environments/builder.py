"""Model environments for the `virtualenv` and `uv` environment managers: a virtual environment built from a
model's own files (requirements.py), cached under a root folder by a hash of what goes in, and built once
however many served entities, server processes or `regista predict` runs ask for it at the same time.

Layout under the cache root (serving: data_dir/serving/envs; predict: ~/.cache/regista/envs or --env-root):
  <hash>/              a finished environment (bin/python, the requirement files it was built from, MARKER)
  <hash>.lock          held (flock) by whoever builds <hash>; the others wait for it, then use the result
  .build-<hash>-<rand> a build in progress; renamed to <hash> only when complete, so a failed or killed
                       build leaves nothing that looks finished (the next builder removes it)
  .prune-<hash>-<rand> an unused environment being deleted (pruning.py): renamed out of place first

<hash>/regista-last-used is touched (its mtime) whenever a worker is about to start with the environment and,
by the serving supervisor, periodically while workers run on it; pruning.py removes the ones unused for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from regista.environments.requirements import (
    EnvironmentSpec,
    ModelEnvironmentError,
    read_environment,
)

MARKER = "regista-env.json"
LAST_USED = "regista-last-used"
LOCK_POLL_S = 0.2
_TAIL_LINES = 40
Say = Callable[[str], None]


class EnvironmentUnavailable(Exception):
    """The model's environment could not be built (the message says why; the build output is in the logs)."""


@dataclass(frozen=True)
class Wording:
    """What the messages call the others that share environments, and the settings that change a limit."""

    others: str = "another served entity"
    timeout_setting: str = "REGISTA_SERVING_ENV_BUILD_TIMEOUT"
    downloads_setting: str | None = "REGISTA_SERVING_ENV_PYTHON_DOWNLOADS=true"  # None: not offered
    machine: str = "this server"


SERVING = Wording()


@dataclass(frozen=True)
class _Step:
    argv: list[str]
    what: str


def _uv_binary() -> str:
    """The uv of the pinned `uv` package (regista[serving]), or one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise EnvironmentUnavailable(
                "the uv environment manager needs uv: pip install 'regista[serving]'"
            ) from None
        return found


def env_python(env_dir: str) -> str:
    return os.path.join(env_dir, "bin", "python")


def finished(env_dir: str) -> bool:
    """A complete environment: only a build's final rename makes a folder with both."""
    return os.path.isfile(os.path.join(env_dir, MARKER)) and os.path.exists(env_python(env_dir))


def touch_used(env_dir: str) -> None:
    """Record that the environment is used now (the mtime of its LAST_USED file)."""
    path = os.path.join(env_dir, LAST_USED)
    with open(path, "a", encoding="utf-8"):
        pass
    os.utime(path)


def last_used(env_dir: str) -> float:
    """When the environment was last used (epoch seconds): its LAST_USED file, else (an environment built
    before it existed) its marker, else the folder itself."""
    for path in (os.path.join(env_dir, LAST_USED), os.path.join(env_dir, MARKER), env_dir):
        with contextlib.suppress(OSError):
            return os.stat(path).st_mtime
    return 0.0


def try_lock(path: str, create: bool = True) -> int | None:
    """An fd holding the exclusive flock of lock file `path`, or None when another open file holds it
    (FileNotFoundError when it does not exist and not `create`). A pruner unlinks a lock file it holds
    (pruning.py): whoever opened the old file before that and got its flock after holds nothing that
    others see, so the lock counts only if `path` is still that file."""
    while True:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return fd
        os.close(fd)  # unlinked meanwhile: take the new one


class Environments:
    """Builds and finds model environments for one environment manager (`virtualenv` or `uv`)."""

    def __init__(self, manager: str, root: str, serving_python: str, build_timeout_s: float,
                 python_downloads: bool, wording: Wording = SERVING) -> None:
        if manager not in ("virtualenv", "uv"):
            raise ValueError(f"unknown environment manager {manager!r}")
        self.manager = manager
        self.root = root
        self.serving_python = serving_python
        self.build_timeout_s = build_timeout_s
        self.python_downloads = python_downloads
        self.wording = wording
        self._default_python = f"{sys.version_info[0]}.{sys.version_info[1]}"

    # -- the one entry point -----------------------------------------------------------------------
    async def python_for(self, model_dir: str, say: Say) -> str:
        """The interpreter of the model's environment, built first when no finished one is cached."""
        try:
            return await self._python_for(model_dir, say)
        except EnvironmentUnavailable:
            raise
        except OSError as err:  # the cache folder itself: permissions, a full disk
            raise EnvironmentUnavailable(f"the environment could not be built: {err}") from None

    async def _python_for(self, model_dir: str, say: Say) -> str:
        try:
            spec = read_environment(model_dir, self._default_python)
        except ModelEnvironmentError as err:
            raise EnvironmentUnavailable(str(err)) from None
        for note in spec.notes:
            say(f"environment: {note}")
        digest = spec.digest(self.manager)
        final = os.path.join(self.root, digest)
        cached = finished(final)
        os.makedirs(self.root, exist_ok=True)
        # Even a cached environment is taken under its lock: a pruner removes it only under the same lock,
        # after checking its last use, which this refreshes.
        async with self._locked(digest, say):
            if finished(final):
                touch_used(final)
                if cached:
                    say(f"environment {digest} ({self.manager}, Python {spec.python}, from the model's "
                        f"{spec.source}): cached")
                else:  # built by whoever held the lock before us
                    say(f"environment {digest}: built by {self.wording.others}; using it")
                return env_python(final)
            await asyncio.to_thread(self._remove_leftovers, digest)
            tmp = os.path.join(self.root, f".build-{digest}-{os.urandom(4).hex()}")
            say(f"environment {digest}: building with {self.manager} for Python {spec.python} from the "
                f"model's {spec.source} ({len(spec.requirements)} requirements)")
            start = time.monotonic()
            try:
                async with asyncio.timeout(self.build_timeout_s):
                    await self._build(spec, tmp, say)
                seconds = time.monotonic() - start
                self._write_marker(tmp, spec, digest, seconds)
                touch_used(tmp)
                os.rename(tmp, final)
            except TimeoutError:
                await asyncio.to_thread(shutil.rmtree, tmp, True)
                raise EnvironmentUnavailable(
                    f"the environment build did not finish within {self.build_timeout_s:.0f} s "
                    f"({self.wording.timeout_setting})"
                ) from None
            except BaseException:
                await asyncio.shield(asyncio.to_thread(shutil.rmtree, tmp, True))
                raise
        say(f"environment {digest}: built in {seconds:.1f} s")
        return env_python(final)

    def digest_of(self, model_dir: str) -> str | None:
        """The hash of the environment the model needs (None when its files do not say)."""
        try:
            return read_environment(model_dir, self._default_python).digest(self.manager)
        except (ModelEnvironmentError, OSError):
            return None

    # -- exclusion ---------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _locked(self, digest: str, say: Say) -> AsyncIterator[None]:
        """Hold <digest>.lock: an flock, so it excludes other processes as well as the other users of this
        one (each opens the file itself), and dies with a killed process."""
        path = os.path.join(self.root, f"{digest}.lock")
        waiting = False
        while (fd := try_lock(path)) is None:
            if not waiting:
                say(f"environment {digest}: being built by {self.wording.others}; waiting for it")
                waiting = True
            await asyncio.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            os.close(fd)  # releases the lock

    def _remove_leftovers(self, digest: str) -> None:
        """Builds of this hash that a failure or a kill left behind (only the lock holder builds it), and a
        <hash> folder without its marker (not made by a build: it would block the rename)."""
        prefix = f".build-{digest}-"
        for name in os.listdir(self.root):
            if name.startswith(prefix) or name == digest:
                shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)

    # -- building ----------------------------------------------------------------------------------
    async def _build(self, spec: EnvironmentSpec, tmp: str, say: Say) -> None:
        if self.manager == "uv":
            steps = await self._uv_steps(spec, tmp, say)
        else:
            steps = await self._venv_steps(spec, tmp, say)
        for step in steps:
            code, tail = await _run(step.argv, say, cwd=self.root)
            if code != 0:
                error = _error_of(tail)
                raise EnvironmentUnavailable(
                    f"the environment could not be built: {step.what} exited with code {code}"
                    + (f": {error}" if error else "") + " (the build output is in the logs)"
                )

    def _write_files(self, spec: EnvironmentSpec, folder: str) -> tuple[list[str], list[str]]:
        """The flattened requirement files, inside the environment's folder: (install args for the build
        tools, install args for the requirements)."""
        def write(name: str, lines: tuple[str, ...]) -> str:
            path = os.path.join(folder, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("".join(f"{line}\n" for line in lines))
            return path

        constraints = ["-c", write("regista-constraints.txt", spec.constraints)] if spec.constraints else []
        build = ["-r", write("regista-build-requirements.txt", spec.build)] if spec.build else []
        return build, ["-r", write("regista-requirements.txt", spec.requirements), *constraints]

    async def _uv_steps(self, spec: EnvironmentSpec, tmp: str, say: Say) -> list[_Step]:
        uv = _uv_binary()
        # Without downloads, uv only uses a Python installed here (asked first, for a clear reason); with
        # them, uv's own default (fetch a managed Python when none is found) applies.
        downloads = [] if self.python_downloads else ["--no-python-downloads"]
        if not self.python_downloads:
            code, tail = await _run([uv, "python", "find", "--no-project", *downloads, spec.python], say,
                                    cwd=self.root)
            if code != 0:
                raise EnvironmentUnavailable(self._no_python(spec))
        # --relocatable: the environment is built in a temporary folder and renamed when complete.
        code, tail = await _run([uv, "venv", "--no-project", "--relocatable", *downloads, "--python", spec.python,
                                 tmp], say, cwd=self.root)
        if code != 0:
            raise EnvironmentUnavailable(f"the environment could not be created: uv venv exited with code {code}: "
                                         f"{_error_of(tail)}")
        build, reqs = self._write_files(spec, tmp)
        python = env_python(tmp)
        steps = []
        if build:
            steps.append(_Step([uv, "pip", "install", "--python", python, *build], "uv pip install (build tools)"))
        steps.append(_Step([uv, "pip", "install", "--python", python, *reqs], "uv pip install"))
        return steps

    async def _venv_steps(self, spec: EnvironmentSpec, tmp: str, say: Say) -> list[_Step]:
        base = await self._find_python(spec.python)
        if base is None:
            raise EnvironmentUnavailable(self._no_python(spec))
        code, tail = await _run([base, "-m", "venv", tmp], say)
        if code != 0:
            raise EnvironmentUnavailable(f"the environment could not be created with {base} -m venv: "
                                         f"{_error_of(tail)}")
        build, reqs = self._write_files(spec, tmp)
        pip = [env_python(tmp), "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
        steps = []
        if build:
            steps.append(_Step([*pip, *build], "pip install (build tools)"))
        steps.append(_Step([*pip, *reqs], "pip install"))
        return steps

    async def _find_python(self, minor: str) -> str | None:
        """An installed interpreter of Python `minor` (major.minor): the serving interpreter, else
        python<minor> on PATH. Each is asked its version (a pyenv shim may exist and not run)."""
        candidates = [self.serving_python, shutil.which(f"python{minor}")]
        for candidate in candidates:
            if not candidate:
                continue
            proc = await asyncio.create_subprocess_exec(
                candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, stdin=asyncio.subprocess.DEVNULL,
            )
            out, _ = await proc.communicate()
            if proc.returncode == 0 and out.decode().strip() == minor:
                return candidate
        return None

    def _no_python(self, spec: EnvironmentSpec) -> str:
        how = "install it (python" + spec.python + " on PATH)"
        if self.manager == "uv" and not self.python_downloads and self.wording.downloads_setting:
            how += f", or let uv download it ({self.wording.downloads_setting})"
        return (f"the model asks for Python {spec.requested_python} ({spec.source}) and no Python {spec.python} "
                f"is installed on {self.wording.machine}: {how}")

    def _write_marker(self, tmp: str, spec: EnvironmentSpec, digest: str, seconds: float) -> None:
        info = {"hash": digest, "manager": self.manager, "python": spec.python,
                "requested_python": spec.requested_python, "source": spec.source, "build": spec.build,
                "requirements": spec.requirements, "constraints": spec.constraints,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "build_seconds": round(seconds, 3)}
        with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as handle:
            json.dump(info, handle, indent=1)


def _error_of(tail: deque[str], limit: int = 600) -> str:
    """The installer's error in one line: from its last line that starts with 'error' (uv, pip) to the end,
    joined (uv wraps long messages), else its last line."""
    lines = [line.strip() for line in tail if line.strip()]
    start = max((i for i, line in enumerate(lines) if line.lower().startswith("error")), default=len(lines) - 1)
    text = " ".join(lines[max(start, 0):])
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _run(argv: list[str], say: Say, cwd: str | None = None) -> tuple[int, deque[str]]:
    """Run one build command, its output line by line into `say`: (exit code, its last lines). A cancelled
    or timed-out build kills the command's whole process group."""
    env = {**os.environ, "PIP_NO_INPUT": "1", "NO_COLOR": "1"}
    say(f"$ {' '.join(argv)}")
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL, env=env, start_new_session=True, cwd=cwd,
        )
    except OSError as err:
        return 127, deque([f"{argv[0]}: {err}"])
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    assert proc.stdout is not None
    try:
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                break
            line = raw.decode(errors="replace").rstrip("\r\n")
            tail.append(line)
            say(line)
        return await proc.wait(), tail
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await asyncio.shield(proc.wait())
        raise
