"""Run-scoped artifact listing (the legacy /artifacts/list the web UI calls); the proxy itself needs no service."""

from __future__ import annotations

import posixpath

from regista.errors import NotFound
from regista.server.artifacts.repository import ArtifactEntry, validate_client_path
from regista.server.artifacts.uris import to_relative_path
from regista.server.services.context import Context
from regista.server.stores.runs import find_run


def list_run_artifacts(ctx: Context, run_id: str, path: str | None) -> tuple[str, list[ArtifactEntry]]:
    """The run's artifact root URI and the entries directly under `path` (paths relative to the run root).

    Runs whose artifacts live outside this server's store (a foreign artifact_location) list as empty:
    the server only serves what it stores.
    """
    rel = validate_client_path(path) if path else ""
    run = find_run(ctx.conn, run_id)
    if run is None:
        raise NotFound(f"Run with id={run_id} not found")
    root = to_relative_path(run.artifact_uri)
    if root is None:
        return run.artifact_uri, []
    entries = ctx.artifacts.list_dir(posixpath.join(root, rel) if rel else root)
    if rel:
        entries = [ArtifactEntry(posixpath.join(rel, e.path), e.is_dir, e.file_size) for e in entries]
    return run.artifact_uri, entries
