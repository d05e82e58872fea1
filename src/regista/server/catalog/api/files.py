"""The Databricks Files API for Unity Catalog model versions (/api/2.0/fs/files/Models/... and
/api/2.0/fs/directories/Models/...), which the databricks-sdk models artifact repository of the mlflow
client uploads to and downloads from. Bodies are streamed both ways; a service checks the caller's
privileges and resolves the store path inside the request's transaction, the file I/O runs after it."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from email.utils import formatdate
from typing import IO

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from regista.errors import AlreadyExists, NotFound
from regista.server.catalog.services import uc_files
from regista.server.catalog.services.uc_files import FileTarget
from regista.server.http.deps import ReadCtx
from regista.server.http.responses import ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction
from regista.server.storage.repository import ArtifactRepository

FILES = "/api/2.0/fs/files"
DIRECTORIES = "/api/2.0/fs/directories"
# Bodies are written in pieces of this size (one thread hop per MiB).
WRITE_BUFFER = 1 << 20

router = APIRouter(route_class=TransactionalRoute)


def _repo(request: Request) -> ArtifactRepository:
    repository: ArtifactRepository = request.app.state.artifacts
    return repository


def _http_date(seconds: float | None) -> str:
    return formatdate(seconds or 0, usegmt=True)


@router.put(FILES + "/{path:path}")
def upload_file(ctx: ReadCtx, path: str) -> OutsideTransaction:
    """Stream the body into the version's storage (a temporary sibling, moved into place at the end)."""
    return outside_transaction(_receive, uc_files.upload_target(ctx, path))


async def _receive(request: Request, target: FileTarget) -> Response:
    repo = _repo(request)
    if request.query_params.get("overwrite", "true").lower() == "false":
        if await anyio.to_thread.run_sync(repo.is_file, target.store_path):
            raise AlreadyExists(f"The file '{target.api_path}' already exists.")
    fh, tmp, final = await anyio.to_thread.run_sync(repo.open_temp_for_write, target.store_path)
    try:
        await copy_body(request, fh)
        await anyio.to_thread.run_sync(fh.close)
        await anyio.to_thread.run_sync(repo.commit_write, tmp, final)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(close_and_discard, repo, fh, tmp)
        raise
    return Response(status_code=204)


async def copy_body(request: Request, fh: IO[bytes], seen: Callable[[bytes], object] | None = None) -> None:
    """Write the request body to `fh` in pieces of WRITE_BUFFER, handing each piece to `seen` (a checksum)."""
    pending: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        pending.append(chunk)
        size += len(chunk)
        if size >= WRITE_BUFFER:
            data, pending, size = b"".join(pending), [], 0
            if seen is not None:
                seen(data)
            await anyio.to_thread.run_sync(fh.write, data)
    if pending:
        data = b"".join(pending)
        if seen is not None:
            seen(data)
        await anyio.to_thread.run_sync(fh.write, data)


def close_and_discard(repo: ArtifactRepository, fh: IO[bytes], tmp: str) -> None:
    try:
        fh.close()
    finally:
        repo.discard_write(tmp)


@router.get(FILES + "/{path:path}", response_class=Response)
def download_file(ctx: ReadCtx, path: str) -> OutsideTransaction:
    """The file's bytes, streamed, with Content-Length and Last-Modified (which the SDK reads)."""
    return outside_transaction(_send, uc_files.read_target(ctx, path), True)


# HEAD answers carry no body, not even the error envelope every documented operation promises: the two
# metadata probes the databricks-sdk makes stay out of the OpenAPI document.
@router.head(FILES + "/{path:path}", response_class=Response, include_in_schema=False)
def get_file_metadata(ctx: ReadCtx, path: str) -> OutsideTransaction:
    return outside_transaction(_send, uc_files.read_target(ctx, path), False)


async def _send(request: Request, target: FileTarget, body: bool) -> Response:
    repo = _repo(request)
    size = await anyio.to_thread.run_sync(repo.file_size, target.store_path)
    modified = await anyio.to_thread.run_sync(repo.last_modified, target.store_path)
    headers = {"Content-Length": str(size), "Last-Modified": _http_date(modified)}
    media_type = "application/octet-stream"
    if not body:
        return Response(status_code=200, headers=headers, media_type=media_type)
    return StreamingResponse(repo.iter_file(target.store_path), headers=headers, media_type=media_type)


@router.get(DIRECTORIES + "/{path:path}")
def list_directory_contents(ctx: ReadCtx, path: str) -> OutsideTransaction:
    """The entries directly inside a directory, named by their full Files API path; 404 when it is none."""
    return outside_transaction(_list, uc_files.read_target(ctx, path))


async def _list(request: Request, target: FileTarget) -> Response:
    repo = _repo(request)
    if not await anyio.to_thread.run_sync(repo.is_dir, target.store_path):
        raise NotFound(f"The directory '{target.api_path}' does not exist.")
    entries = await anyio.to_thread.run_sync(repo.list_dir, target.store_path)
    contents = []
    for entry in entries:
        item: dict[str, object] = {
            "path": posixpath.join(target.api_path, entry.path),
            "name": entry.path,
            "is_directory": entry.is_dir,
        }
        if not entry.is_dir:
            item["file_size"] = entry.file_size
        contents.append(item)
    return ok({"contents": contents} if contents else None)


@router.head(DIRECTORIES + "/{path:path}", include_in_schema=False)
def get_directory_metadata(ctx: ReadCtx, path: str) -> OutsideTransaction:
    return outside_transaction(_directory_exists, uc_files.read_target(ctx, path))


async def _directory_exists(request: Request, target: FileTarget) -> Response:
    if not await anyio.to_thread.run_sync(_repo(request).is_dir, target.store_path):
        raise NotFound(f"The directory '{target.api_path}' does not exist.")
    return Response(status_code=200)
