"""The `files` list of MLflow's artifact listings (mlflow-artifacts list, artifacts/list, logged-model
artifact directories): a file carries its size, a directory does not."""

from __future__ import annotations

from regista.server.storage.repository import ArtifactEntry


def files_json(entries: list[ArtifactEntry]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for e in entries:
        item: dict[str, object] = {"path": e.path, "is_dir": e.is_dir}
        if not e.is_dir:
            item["file_size"] = e.file_size
        out.append(item)
    return out
