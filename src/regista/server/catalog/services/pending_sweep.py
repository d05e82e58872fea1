"""The periodic removal of Unity Catalog versions never finalized (settings.uc_pending_timeout_s): a client
that died between create and finalize leaves a PENDING_REGISTRATION version nobody can load."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from regista.server.catalog.services.uc_versions import expire_pending
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.catalog.pending")


class PendingVersionSweep:
    """Runs expire_pending at start and then every `interval_s` in a daemon thread until stopped."""

    def __init__(self, engine: Engine, artifacts: ArtifactRepository, timeout_s: float, interval_s: float) -> None:
        self._stop = threading.Event()
        self._args = (engine, artifacts, timeout_s)
        self._interval_s = interval_s
        self._thread = threading.Thread(target=self._run, name="uc-pending-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                removed = expire_pending(*self._args)
                if removed:
                    log.info("Removed %d Unity Catalog model versions never finalized", removed)
            except Exception:  # a failed sweep (database unreachable) must not stop the server; it retries
                log.exception("Removing Unity Catalog versions never finalized failed")
            if self._stop.wait(self._interval_s):
                return
