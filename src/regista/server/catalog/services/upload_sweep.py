"""The removal of abandoned multipart upload sessions (`_catalog/_uploads/<token>/`, see uc_uploads): one
bounded round at a time, run by the server's periodic catalog sweep, whether or not new uploads start.

A session is abandoned once it expired (its `expires_at`, set at start from settings.uc_upload_timeout_s,
has passed: no part, completion or abort is accepted any more). A directory without a readable session.json
(a start that crashed between creating it and writing the file, or a part that raced an abort) is removed
only when nothing in it changed for a whole timeout, so a session being started right now is never taken.
Two server processes may sweep at once: a session the other one removed first counts as gone."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from regista.errors import InvalidParameter, NotFound
from regista.server.catalog.services import uc_uploads
from regista.server.clock import now_ms
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.catalog.uploads")

# Sessions looked at in one round; the next round goes on after the last one (and starts over at the end).
ROUND_SIZE = 200


@dataclass(frozen=True)
class Round:
    inspected: int
    removed: int
    # Where the next round starts: after this session's token (None: from the first one).
    resume_after: str | None


def _abandoned(artifacts: ArtifactRepository, token: str, now: int, timeout_s: float) -> bool:
    try:
        session = uc_uploads.load(b"".join(artifacts.iter_file(uc_uploads.session_file(token))))
    except (NotFound, InvalidParameter, FileNotFoundError, ValueError, TypeError):
        changed = artifacts.last_modified(uc_uploads.session_dir(token))
        return changed is not None and changed < time.time() - timeout_s
    return session.expires_at < now


def sweep_round(artifacts: ArtifactRepository, timeout_s: float, resume_after: str | None = None,
                limit: int = ROUND_SIZE) -> Round:
    """Look at up to `limit` sessions after `resume_after` (in token order) and remove the abandoned ones."""
    tokens = [e.path for e in artifacts.list_dir(uc_uploads.UPLOADS_ROOT) if e.is_dir and uc_uploads.is_token(e.path)]
    batch = [t for t in tokens if resume_after is None or t > resume_after][:limit]
    now, removed = now_ms(), 0
    for token in batch:
        try:
            if _abandoned(artifacts, token, now, timeout_s):
                artifacts.delete(uc_uploads.session_dir(token))
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile: completed, aborted, or swept by another server process
        except OSError:  # one unreadable session must not stop the others; it is retried next round
            log.exception("Could not sweep the upload session %s…", token[:8])
    return Round(len(batch), removed, batch[-1] if len(batch) == limit else None)
