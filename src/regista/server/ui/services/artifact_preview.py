"""What the run page's artifact browser shows for a file: a preview of text, JSON/YAML, CSV tables and
images, or only a download for the rest. Plain file I/O on a store path the artifacts domain's services
resolved and authorized; run after the request's transaction has ended."""

from __future__ import annotations

import csv
import io
import json
import posixpath
from dataclasses import dataclass, field

from regista.errors import RegistaError
from regista.server.storage.repository import ArtifactEntry, ArtifactRepository

# A preview reads at most this much of a file; larger files are shown cut, with a note and a download.
MAX_PREVIEW_BYTES = 256 << 10
MAX_TABLE_ROWS = 200
TEXT = {"txt", "log", "err", "md", "rst", "py", "cfg", "conf", "ini", "toml", "xml", "properties", "sh", "sql",
        "mlmodel", "mlproject", "html", "js", "css", "ipynb"}
JSON = {"json"}
YAML = {"yaml", "yml"}
TABLE = {"csv": ",", "tsv": "\t"}
IMAGE = {"png", "jpg", "jpeg", "gif", "webp", "bmp"}


@dataclass
class Preview:
    # "text", "json", "yaml", "table", "image", or "download" (no preview of this kind of file).
    kind: str
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    truncated: bool = False
    size: int = 0
    problem: str | None = None


def preview_kind(name: str) -> str:
    base = posixpath.basename(name).lower()
    ext = base.rsplit(".", 1)[-1] if "." in base else base
    for kind, extensions in (("json", JSON), ("yaml", YAML), ("table", TABLE), ("image", IMAGE), ("text", TEXT)):
        if ext in extensions:
            return kind
    return "download"


def read_preview(repo: ArtifactRepository, rel: str) -> Preview:
    """The preview of the file at the store path `rel` (errors become `problem`, never raised)."""
    kind = preview_kind(rel)
    try:
        size = repo.file_size(rel)
        if kind in ("image", "download"):
            return Preview(kind, size=size)
        data = b""
        for chunk in repo.iter_file(rel):
            data += chunk
            if len(data) > MAX_PREVIEW_BYTES:
                break
    except (OSError, RegistaError) as err:
        return Preview("download", problem=f"The file could not be read: {err}")
    truncated = len(data) > MAX_PREVIEW_BYTES or size > MAX_PREVIEW_BYTES
    text = data[:MAX_PREVIEW_BYTES].decode("utf-8", "replace")
    if kind == "json" and not truncated:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            kind = "text"
    if kind == "table":
        delimiter = TABLE[rel.lower().rsplit(".", 1)[-1]]
        rows = [row for _, row in zip(range(MAX_TABLE_ROWS + 1), csv.reader(io.StringIO(text), delimiter=delimiter),
                                      strict=False)]
        return Preview("table", rows=rows[:MAX_TABLE_ROWS], truncated=truncated or len(rows) > MAX_TABLE_ROWS,
                       size=size)
    return Preview(kind, text=text, truncated=truncated, size=size)


def is_model_folder(entries: list[ArtifactEntry]) -> bool:
    """A folder holding an MLmodel file is a model that can be registered."""
    return any(not e.is_dir and posixpath.basename(e.path) == "MLmodel" for e in entries)
