"""Removing model environments nobody uses (each is hundreds of MB): finished environments unused for longer
than a retention, stale `.build-*` folders and lock files that no one holds, race-free against a builder or
a worker start that wants the same environment at the same moment (see the layout in environments.py)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from regista.environments.builder import MARKER, finished, last_used, touch_used, try_lock

_HASH = r"[0-9a-f]{32}"
_ENV = re.compile(rf"^{_HASH}$")
_BUILD = re.compile(rf"^\.build-({_HASH})-[0-9a-f]+$")
_PRUNING = re.compile(rf"^\.prune-{_HASH}-[0-9a-f]+$")
_LOCK = re.compile(rf"^({_HASH})\.lock$")

ENVIRONMENT = "environment"
BUILD = "stale build"
LOCK = "unused lock file"
LEFTOVER = "leftover of an interrupted removal"


@dataclass(frozen=True)
class Removed:
    """One thing removed (or, in a dry run, that would be)."""

    kind: str  # ENVIRONMENT, BUILD, LOCK or LEFTOVER
    name: str
    size: int  # bytes of its files
    last_used: float | None = None  # environments: epoch seconds
    detail: str = ""  # environments: manager and Python, from the marker


def size_of(path: str) -> int:
    """Bytes of the files under `path`, each inode once (uv hard-links its cache into environments, so what a
    removal frees on disk can be less)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(folder, name))
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_size
    return total


def _detail(env_dir: str) -> str:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        with open(os.path.join(env_dir, MARKER), encoding="utf-8") as handle:
            info = json.load(handle)
        return f"{info.get('manager', '?')}, Python {info.get('python', '?')}"
    return ""


def touch_in_use(root: str, in_use: Iterable[str]) -> None:
    """Refresh the last use of the environments that live workers run on (so a later process, or one
    restarted after a crash, sees them as used)."""
    for digest in in_use:
        env_dir = os.path.join(root, digest)
        if finished(env_dir):
            with contextlib.suppress(OSError):
                touch_used(env_dir)


def prune(root: str, older_than_s: float, in_use: Iterable[str] = (), dry_run: bool = False,
          now: float | None = None) -> list[Removed]:
    """Remove from `root` each finished environment not in `in_use` and unused for `older_than_s` seconds,
    each `.build-*` folder whose build holds no lock (its builder died), each lock file no one holds whose
    environment and builds are gone, and what a pruner killed mid-way left. Returns what it removed (or,
    with `dry_run`, what it would remove; then nothing changes). An environment whose lock is held (a build,
    or a worker start taking it) is skipped: the next pass sees it again."""
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return []
    cutoff = (time.time() if now is None else now) - older_than_s
    keep = set(in_use)
    removed: list[Removed] = []
    for name in names:
        item = None
        if _ENV.match(name) and name not in keep:
            item = _environment(root, name, cutoff, dry_run)
        elif match := _BUILD.match(name):
            item = _stale_build(root, name, match.group(1), dry_run)
        elif _PRUNING.match(name):  # a pruner killed mid-rmtree left it: nothing refers to it
            item = Removed(LEFTOVER, name, size_of(os.path.join(root, name)))
            if not dry_run:
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        if item is not None:
            removed.append(item)
    # Lock files last, once the environments and builds they guarded are gone (an environment's removal
    # takes its lock file with it).
    gone = {r.name for r in removed} | {f"{r.name}.lock" for r in removed if r.kind == ENVIRONMENT}
    left = set(names) - gone if dry_run else set(os.listdir(root))
    for name in sorted(left):
        match = _LOCK.match(name)
        if match is None:
            continue
        digest = match.group(1)
        if digest in left or any(n.startswith(f".build-{digest}-") for n in left):
            continue
        if _unused_lock(root, name, dry_run) and name in names:
            removed.append(Removed(LOCK, name, 0))
    return removed


@contextlib.contextmanager
def _holding(lock_path: str, dry_run: bool) -> Iterator[bool]:
    """Whether this process now holds the lock (a dry run creates no lock file: a missing one has no
    holder)."""
    try:
        fd = try_lock(lock_path, create=not dry_run)
    except FileNotFoundError:
        yield True
        return
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        os.close(fd)


def _environment(root: str, digest: str, cutoff: float, dry_run: bool) -> Removed | None:
    env_dir = os.path.join(root, digest)
    if not finished(env_dir) or last_used(env_dir) > cutoff:
        return None  # a folder without its marker is a builder's to replace (environments.py)
    lock_path = os.path.join(root, f"{digest}.lock")
    with _holding(lock_path, dry_run) as held:
        if not held:
            return None  # being built, or a worker start is taking it now
        # Again under the lock: a worker start may have refreshed it between the look above and the lock.
        used = last_used(env_dir)
        if not finished(env_dir) or used > cutoff:
            return None
        item = Removed(ENVIRONMENT, digest, size_of(env_dir), used, _detail(env_dir))
        if dry_run:
            return item
        # Out of place first, so a half-deleted folder is never taken as finished; the lock file goes too
        # (unlinked while held: try_lock's users notice and take a new one).
        doomed = os.path.join(root, f".prune-{digest}-{os.urandom(4).hex()}")
        os.rename(env_dir, doomed)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
    shutil.rmtree(doomed, ignore_errors=True)  # the slow part, outside the lock
    return item


def _stale_build(root: str, name: str, digest: str, dry_run: bool) -> Removed | None:
    """A build folder is in progress exactly while its builder holds <digest>.lock."""
    path = os.path.join(root, name)
    with _holding(os.path.join(root, f"{digest}.lock"), dry_run) as held:
        if not held or not os.path.isdir(path):
            return None
        item = Removed(BUILD, name, size_of(path))
        if dry_run:
            return item
        doomed = os.path.join(root, f".prune-{digest}-{os.urandom(4).hex()}")
        os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    return item


def _unused_lock(root: str, name: str, dry_run: bool) -> bool:
    path = os.path.join(root, name)
    try:
        fd = try_lock(path, create=False)
    except FileNotFoundError:
        return False
    if fd is None:
        return False
    try:
        if not dry_run:
            os.unlink(path)
    finally:
        os.close(fd)
    return True
