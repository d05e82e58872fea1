"""Removing the model environments no endpoint uses, for the serving supervisor: when to look (at most hourly,
more often with a short retention), which environments its deployments run on or are about to take, and the
pruning itself in a thread beside the supervisor's passes (it may delete GBs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterable

import anyio

from regista.environments import pruning as env_pruning
from regista.environments.builder import Environments
from regista.server.serving.services.workers import Deployment

log = logging.getLogger("regista.serving")

# Unused model environments are looked for at most this often (more often with a short retention).
ENV_PRUNE_INTERVAL_S = 3600.0


class EnvironmentUpkeep:
    """Prunes `env_root` of environments unused for `retention_s` seconds (0: never), sparing those of the
    deployments it is shown."""

    def __init__(self, env_root: str, environments: Environments | None, retention_s: float) -> None:
        self.env_root = env_root
        self.environments = environments
        self.retention_s = retention_s
        self._task: asyncio.Task[None] | None = None
        self._next = 0.0

    def maybe_prune(self, deployments: Iterable[object]) -> None:
        """Start a pruning pass if one is due and none is running; `deployments` are every live and
        candidate deployment of the supervisor."""
        if self.retention_s <= 0 or time.monotonic() < self._next:
            return
        if self._task is not None and not self._task.done():
            return
        self._next = time.monotonic() + max(1.0, min(ENV_PRUNE_INTERVAL_S, self.retention_s / 4))
        self._task = asyncio.create_task(self._prune(*self._in_use(deployments)))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _in_use(self, deployments: Iterable[object]) -> tuple[set[str], list[str]]:
        """(the environments the deployments run on, the model folders of those whose environment is not
        taken yet). Old deployments still draining after a rollover are not listed: their environment's last
        use was refreshed within the pruning interval, far younger than the retention."""
        used, pending = set(), []
        for dep in deployments:
            if not isinstance(dep, Deployment):
                continue
            if dep.environment is not None:
                pending.append(dep.spec.model_dir)
                continue
            folder = os.path.dirname(os.path.dirname(dep.spec.python))  # <root>/<hash>/bin/python
            if os.path.dirname(folder) == self.env_root:
                used.add(os.path.basename(folder))
        return used, pending

    async def _prune(self, used: set[str], pending: list[str]) -> None:
        environments = self.environments

        def work() -> list[env_pruning.Removed]:
            env_pruning.touch_in_use(self.env_root, used)
            keep = set(used)
            if environments is not None:  # a deployment about to build or take its environment
                keep.update(d for d in map(environments.digest_of, pending) if d is not None)
            return env_pruning.prune(self.env_root, self.retention_s, keep)

        try:
            removed = await anyio.to_thread.run_sync(work)
        except Exception:
            log.exception("removing unused model environments failed")
            return
        for item in removed:
            log.info("removed %s %s (%.1f MiB)", item.kind, item.name, item.size / 2**20)
