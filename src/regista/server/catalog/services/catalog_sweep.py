"""The periodic housekeeping of Unity Catalog, in one daemon thread per server process: versions never
finalized (settings.uc_pending_timeout_s: a client that died between create and finalize leaves a
PENDING_REGISTRATION version nobody can load) and abandoned multipart upload sessions
(settings.uc_upload_timeout_s), whether or not new uploads start. Each round is bounded; a round that was
full is followed by the next one soon, not after the whole interval. Both jobs are safe when several
server processes run them at once."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from regista.server.catalog.services import upload_sweep
from regista.server.catalog.services.uc_versions import expire_pending
from regista.server.settings import Settings
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.catalog.sweep")

# Versions removed in one round.
PENDING_ROUND = 100
# The pause after a full round (more is waiting) instead of the interval.
CATCH_UP_S = 1.0


def interval_for(settings: Settings) -> float:
    """A tenth of the shorter timeout, between 1 s and an hour."""
    return max(1.0, min(3600.0, min(settings.uc_pending_timeout_s, settings.uc_upload_timeout_s) / 10))


class CatalogSweep:
    """Runs one round of each job at start and then every `interval_s` until stopped."""

    def __init__(self, engine: Engine, artifacts: ArtifactRepository, settings: Settings) -> None:
        self._stop = threading.Event()
        self._engine, self._artifacts = engine, artifacts
        self._pending_timeout_s = settings.uc_pending_timeout_s
        self._upload_timeout_s = settings.uc_upload_timeout_s
        self._interval_s = interval_for(settings)
        self._uploads_after: str | None = None
        self._thread = threading.Thread(target=self._run, name="uc-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _pending_round(self) -> bool:
        removed = expire_pending(self._engine, self._artifacts, self._pending_timeout_s, PENDING_ROUND)
        if removed:
            log.info("Removed %d Unity Catalog model versions never finalized", removed)
        return removed == PENDING_ROUND

    def _uploads_round(self) -> bool:
        done = upload_sweep.sweep_round(self._artifacts, self._upload_timeout_s, self._uploads_after)
        self._uploads_after = done.resume_after
        if done.removed:
            log.info("Removed %d abandoned multipart upload sessions", done.removed)
        return done.resume_after is not None

    def round(self) -> bool:
        """One round of each job; True when one of them left work for the next round."""
        more = False
        for job, what in ((self._pending_round, "Removing Unity Catalog versions never finalized"),
                          (self._uploads_round, "Removing abandoned multipart upload sessions")):
            try:
                more = job() or more
            except Exception:  # a failed round (database or store unreachable) must not stop the server
                log.exception("%s failed", what)
        return more

    def _run(self) -> None:
        while True:
            more = self.round()
            if self._stop.wait(CATCH_UP_S if more else self._interval_s):
                return
