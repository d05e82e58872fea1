"""The orphan sweep of the registry's storage: copies under `_registry/` that no committed model version
references (left by a crash, or by a commit that failed after the copy) are removed at start-up and then
periodically (ADR 0004).

A copy is an orphan only once it is older than ORPHAN_GRACE_S: a copy still being made (by this process or
another worker sharing the store) has no version row yet, and its directory keeps changing until it does.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from sqlalchemy import Engine

from regista.server.context import Context
from regista.server.registry.stores import registry_copies
from regista.server.storage.repository import ArtifactRepository
from regista.server.storage.uris import REGISTRY_ROOT, to_uri

log = logging.getLogger("regista.registry_storage")

ORPHAN_GRACE_S = 3600.0
SWEEP_INTERVAL_S = 3600.0
# One query per this many copies, so a large registry never builds one huge parameter.
_BATCH = 1000
_COPY_NAME = re.compile(r"^[0-9a-f]{32}$")


def sweep_orphan_copies(engine: Engine, artifacts: ArtifactRepository, now: float | None = None) -> int:
    """Remove registry copies no model version references and nothing has changed for ORPHAN_GRACE_S.
    Returns how many were removed. Only entries named like a copy (32 hex digits) are considered."""
    now = time.time() if now is None else now
    # A copy is a directory, or a single file when the source was one file.
    names = [e.path for e in artifacts.list_dir(REGISTRY_ROOT) if _COPY_NAME.match(e.path)]
    removed = 0
    for start in range(0, len(names), _BATCH):
        batch = {to_uri(f"{REGISTRY_ROOT}/{n}"): f"{REGISTRY_ROOT}/{n}" for n in names[start:start + _BATCH]}
        # Listed before the query: a version committed in between is seen by the query.
        with engine.connect() as conn:
            used = registry_copies.referenced_locations(conn, list(batch))
        for uri, rel in batch.items():
            if uri in used:
                continue
            modified = artifacts.last_modified(rel)
            if modified is not None and now - modified < ORPHAN_GRACE_S:
                continue
            artifacts.delete(rel)
            removed += 1
    if removed:
        log.info("Removed %d orphaned registry copies", removed)
    return removed


def _sweep_logged(engine: Engine, artifacts: ArtifactRepository) -> None:
    try:
        sweep_orphan_copies(engine, artifacts)
    except Exception:  # a sweep that fails (store unreachable) must not stop the server; it retries later
        log.exception("Sweeping orphaned registry copies failed")


class PeriodicSweep:
    """Runs the sweep every SWEEP_INTERVAL_S in a daemon thread until stopped."""

    def __init__(self, engine: Engine, artifacts: ArtifactRepository, interval_s: float = SWEEP_INTERVAL_S):
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(engine, artifacts, interval_s), name="registry-sweep", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self, engine: Engine, artifacts: ArtifactRepository, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            _sweep_logged(engine, artifacts)


def start_up_sweep(engine: Engine, artifacts: ArtifactRepository) -> None:
    """The sweep run once before the server accepts requests."""
    _sweep_logged(engine, artifacts)


def registry_copy_owner(ctx: Context, storage_location: str) -> tuple[int, str] | None:
    """(registered model id, name) of the version whose files are the registry copy at `storage_location`
    (mlflow-artifacts:/_registry/<uuid>), or None for an orphan: the artifact proxy's owner lookup."""
    return registry_copies.registry_copy_owner(ctx.conn, storage_location)
