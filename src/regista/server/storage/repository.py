"""fsspec-backed artifact repository rooted at --artifacts-destination; paths can never escape the root."""

from __future__ import annotations

import errno
import os
import posixpath
import re
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from urllib.parse import unquote

import fsspec
from fsspec.implementations.local import LocalFileSystem

from regista.errors import InvalidParameter, NotFound


@dataclass(frozen=True)
class ArtifactEntry:
    path: str
    is_dir: bool
    file_size: int | None


# Temporary upload files: ".<name>.<32 hex>.part" beside the final file (see open_temp_for_write).
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{32}\.part$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def _no_such_artifact(rel: str) -> NotFound:
    # MLflow's words (its artifact proxy answers a missing file so), for every missing artifact.
    return NotFound(f"No such artifact: '{rel}'")


# errno values meaning "there is nothing at this path" (a name too long cannot exist either).
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG})
# MLflow's one message for every refused client path.
INVALID_PATH = "Invalid path"
# Longest file name most filesystems accept (NAME_MAX).
_MAX_NAME_BYTES = 255


@contextmanager
def _path_conflicts(rel: str) -> Iterator[None]:
    """A write that collides with the existing tree (a directory where the file goes, a file where a
    directory is needed) is the client's error: 400, not 500."""
    try:
        yield
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as err:
        raise InvalidParameter(
            f"Cannot write artifact '{rel}': a file or directory in its path is in the way."
        ) from err
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            raise InvalidParameter(f"Invalid artifact path: a name in '{rel[:80]}' is too long.") from err
        raise


def is_temp_name(name: str) -> bool:
    """True for an upload still in progress (never listed, never copied)."""
    return bool(_TEMP_NAME.match(name))


def validate_client_path(path: str) -> str:
    """Strictly check a path received from a client and return it normalised.

    Refuses absolute paths, `..` segments (also when percent-encoded, once or several times), NUL and
    other control characters, the same cases the official server's validate_path_is_safe refuses, with
    its exact message (clients and MLflow's own tests compare it).
    """
    decoded = path
    for _ in range(10):
        step = unquote(decoded)
        if step == decoded:
            break
        decoded = step
    else:
        raise InvalidParameter(INVALID_PATH)
    for candidate in (path, decoded):
        slashed = candidate.replace("\\", "/")
        absolute = slashed.startswith("/") or _WINDOWS_DRIVE.match(slashed)
        if _CONTROL_CHARS.search(candidate) or absolute or ".." in slashed.split("/"):
            raise InvalidParameter(INVALID_PATH)
    return clean_relative_path(path)


def clean_relative_path(path: str) -> str:
    """Normalise a client-supplied relative path, refusing anything that could leave the root."""
    if "\x00" in path:
        raise InvalidParameter(INVALID_PATH)
    path = path.replace("\\", "/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or "%2e%2e" in path.lower():
        raise InvalidParameter(INVALID_PATH)
    return "/".join(parts)


class ArtifactRepository:
    """All artifact I/O goes through here: runs, logged models and the registry's own copies."""

    def __init__(self, root_uri: str) -> None:
        fs, root = fsspec.core.url_to_fs(root_uri)
        self.fs = fs
        self.root = root.rstrip("/") or "/"
        self.is_local = isinstance(fs, LocalFileSystem)
        if self.is_local:
            os.makedirs(self.root, exist_ok=True)
        self._real_root = os.path.realpath(self.root) if self.is_local else self.root

    def ensure_inside(self, path: str) -> str:
        """Refuse a local path that resolves (through symlinks) outside the root; returns the path.

        Lexical checks (clean_relative_path) already stop `..`; this also stops a symlink placed under
        the root by someone with shell access from turning the proxy into a window on the whole disk.
        """
        if self.is_local:
            real = os.path.realpath(path)
            if real != self._real_root and not real.startswith(self._real_root + os.sep):
                raise InvalidParameter("Invalid artifact path: it resolves outside the artifact root.")
        return path

    def full_path(self, rel: str) -> str:
        rel = clean_relative_path(rel)
        return posixpath.join(self.root, rel) if rel else self.root

    # -- writing ---------------------------------------------------------------------------------
    def open_temp_for_write(self, rel: str) -> tuple[IO[bytes], str, str]:
        """Open a temporary sibling of `rel` for writing; commit_write moves it into place atomically."""
        final = self.full_path(rel)
        if not clean_relative_path(rel):
            raise InvalidParameter("Artifact path must name a file.")
        parent = self.ensure_inside(posixpath.dirname(final))
        name = posixpath.basename(final)
        if len(name.encode()) > _MAX_NAME_BYTES:
            raise InvalidParameter(f"Invalid artifact path: the name '{name[:40]}...' is too long.")
        # The temporary name stays within NAME_MAX however long the final name is.
        tmp = posixpath.join(parent, f".{name[:100]}.{uuid.uuid4().hex}.part")
        with _path_conflicts(rel):
            if self.is_local and os.path.isdir(final):
                raise IsADirectoryError(final)
            self.fs.makedirs(parent, exist_ok=True)
            return self.fs.open(tmp, "wb"), tmp, final

    def commit_write(self, tmp: str, final: str) -> None:
        with _path_conflicts(final):
            if self.is_local:
                os.replace(tmp, final)
            else:
                self.fs.mv(tmp, final)

    def discard_write(self, tmp: str) -> None:
        try:
            self.fs.rm(tmp)
        except FileNotFoundError:
            pass

    def write_bytes(self, rel: str, data: bytes) -> None:
        fh, tmp, final = self.open_temp_for_write(rel)
        try:
            with fh:
                fh.write(data)
            self.commit_write(tmp, final)
        except BaseException:
            self.discard_write(tmp)
            raise

    # -- reading ---------------------------------------------------------------------------------
    def is_file(self, rel: str) -> bool:
        return bool(self.fs.isfile(self.full_path(rel)))

    def is_dir(self, rel: str) -> bool:
        return bool(self.fs.isdir(self.full_path(rel)))

    def size(self, rel: str) -> int:
        return int(self.fs.size(self.full_path(rel)))

    def file_size(self, rel: str) -> int:
        """Size of the file `rel`; NotFound when it does not exist, InvalidParameter for a directory."""
        path = self.ensure_inside(self.full_path(rel))
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            raise _no_such_artifact(rel) from None
        if info["type"] == "directory":
            raise InvalidParameter(f"Artifact path refers to a directory, not a file: '{rel}'")
        return int(info.get("size") or 0)

    def local_file(self, rel: str) -> tuple[str, os.stat_result]:
        """Local repositories only: the file's path and stat, so it can be served with sendfile/Range."""
        path = self.ensure_inside(self.full_path(rel))
        try:
            st = os.stat(path)
        except OSError as err:
            if err.errno in _ABSENT:
                raise _no_such_artifact(rel) from None
            raise
        if stat.S_ISDIR(st.st_mode):
            raise InvalidParameter(f"Artifact path refers to a directory, not a file: '{rel}'")
        return path, st

    def iter_file(self, rel: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        path = self.ensure_inside(self.full_path(rel))
        if not self.fs.isfile(path):
            raise _no_such_artifact(rel)
        with self.fs.open(path, "rb") as fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    def list_dir(self, rel: str) -> list[ArtifactEntry]:
        """Direct children of directory `rel` (paths relative to `rel`); empty when it is not a directory."""
        path = self.ensure_inside(self.full_path(rel))
        if self.is_local:
            return _list_dir_local(path)
        if not self.fs.isdir(path):
            return []
        out = []
        for info in self.fs.ls(path, detail=True):
            name = posixpath.basename(str(info["name"]).rstrip("/"))
            if is_temp_name(name):
                continue
            is_dir = info["type"] == "directory"
            out.append(ArtifactEntry(name, is_dir, None if is_dir else int(info.get("size") or 0)))
        out.sort(key=lambda e: e.path)
        return out

    # -- removing and copying --------------------------------------------------------------------
    def delete(self, rel: str) -> None:
        path = self.full_path(rel)
        if path == self.root:
            raise InvalidParameter("Refusing to delete the artifact root.")
        # The parent must resolve inside the root; the entry itself may be a symlink (removed, not followed).
        self.ensure_inside(posixpath.dirname(path))
        if self.is_local:
            if os.path.islink(path) or os.path.isfile(path):
                os.unlink(path)
            elif os.path.isdir(path):
                shutil.rmtree(path)
        elif self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def copy_tree(self, src_rel: str, dst_rel: str) -> int:
        """Copy a file or directory; on a local disk files are hard-linked (no bytes moved, and deleting
        the source later leaves the copy intact). Returns the number of files copied.

        Only regular files are copied: a symbolic link (to a file or a directory, inside the store or out
        of it) is skipped, and a source whose own path goes through a link is refused, so a link someone
        planted on the disk never turns into a registered, downloadable copy of what it points to.
        A copy that fails part-way leaves what it copied; the caller removes `dst_rel`."""
        src, dst = self.full_path(src_rel), self.full_path(dst_rel)
        if self.is_local:
            real = os.path.realpath(src)
            if real != posixpath.join(self._real_root, clean_relative_path(src_rel)).rstrip("/"):
                raise InvalidParameter(
                    f"Artifact path '{src_rel}' goes through a symbolic link: it cannot be copied."
                )
            if not os.path.lexists(src):
                raise _no_such_artifact(src_rel)
            with _path_conflicts(dst_rel):
                return _link_tree_local(src, dst)
        if not self.fs.exists(src):
            raise _no_such_artifact(src_rel)
        files = [src] if self.fs.isfile(src) else self.fs.find(src)
        for f in files:
            target = dst if f == src else posixpath.join(dst, posixpath.relpath(f, src))
            self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
            self.fs.copy(f, target)
        return len(files)

    def last_modified(self, rel: str) -> float | None:
        """When `rel` or anything under it was last created (seconds since the epoch), None when unknown.
        Locally: a directory's newest mtime over its tree (a directory changes whenever an entry is added),
        a file's ctime (a hard link keeps its source's mtime, but linking changes the ctime); elsewhere
        the newest file's modification time."""
        path = self.full_path(rel)
        if self.is_local:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                return None
            if not stat.S_ISDIR(st.st_mode):
                return st.st_ctime
            return max(os.stat(dirpath).st_mtime for dirpath, _dirs, _files in os.walk(path))
        times = [t for info in self.fs.find(path, detail=True).values() if (t := _info_time(info)) is not None]
        return max(times) if times else None


def _info_time(info: dict[str, object]) -> float | None:
    """A file's modification (or creation) time from an fsspec info dict, whichever key the store uses:
    a datetime (s3fs LastModified), an ISO string (gcsfs updated) or epoch seconds."""
    for key in ("LastModified", "last_modified", "mtime", "updated", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _list_dir_local(path: str) -> list[ArtifactEntry]:
    # os.scandir reuses the directory read for the type; only files need a stat (for their size).
    try:
        it = os.scandir(path)
    except OSError as err:
        if err.errno in _ABSENT:
            return []
        raise
    out = []
    with it:
        for entry in it:
            if is_temp_name(entry.name):
                continue
            if entry.is_dir():
                out.append(ArtifactEntry(entry.name, True, None))
            else:
                out.append(ArtifactEntry(entry.name, False, entry.stat().st_size))
    out.sort(key=lambda e: e.path)
    return out


def _link_tree_local(src: str, dst: str) -> int:
    def link_or_copy(s: str, d: str) -> None:
        # Never through a link: a link swapped in after the walk is linked as itself, not its target.
        try:
            os.link(s, d, follow_symlinks=False)
        except OSError as err:
            if err.errno == errno.ENAMETOOLONG:
                raise
            shutil.copy2(s, d, follow_symlinks=False)

    def regular(path: str) -> bool:
        return stat.S_ISREG(os.lstat(path).st_mode)

    if not os.path.isdir(src) or os.path.islink(src):
        if not regular(src):
            raise InvalidParameter("Only regular files and directories can be copied.")
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        link_or_copy(src, dst)
        return 1
    count = 0

    def fail(err: OSError) -> None:
        raise err

    # followlinks=False: a linked directory is listed but never entered; linked files are skipped below.
    for dirpath, _dirs, files in os.walk(src, onerror=fail, followlinks=False):
        target_dir = os.path.join(dst, os.path.relpath(dirpath, src))
        os.makedirs(target_dir, exist_ok=True)
        for name in files:
            path = os.path.join(dirpath, name)
            if is_temp_name(name) or not regular(path):
                continue
            link_or_copy(path, os.path.join(target_dir, name))
            count += 1
    return count
