"""A lock file that makes one of several server processes the one that does a job (the serving supervisor
per data folder, the event dispatcher per SQLite database): an flock, which the kernel releases when the
holder exits in any way (kill -9 included), so another process can take it over."""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import IO


class LeaderLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it; never waits."""
        if self._handle is not None:
            return True
        handle = open(self.path, "ab")  # noqa: SIM115  # held open as long as this process holds the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        # Not passed on to child processes (model workers): the lock must die with this process.
        os.set_inheritable(handle.fileno(), False)
        self._handle = handle
        return True

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()
