"""The mlflow-artifacts proxy (/api/2.0/mlflow-artifacts/...) and the web UI's artifact routes: the legacy
run-scoped listing, get-artifact, upload-artifact and the logged-model / model-version file reads.

Uploads and downloads are streamed so memory does not grow with the artifact size (mlflow-rest.md §1.7).
Every proxy route first checks the caller's permission on the path (services/artifact_access.authorize_path):
admins pass without touching the database; anyone else costs one short read transaction, ended before
any file I/O starts.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
from collections.abc import Callable
from typing import IO, Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from regista.errors import BadRequest, InvalidParameter, NotImplementedFeature
from regista.server.artifacts.schemas.listings import files_json
from regista.server.artifacts.services import artifact_access
from regista.server.artifacts.services import artifacts as artifact_service
from regista.server.context import Context
from regista.server.http.deps import ReadCtx, current_principal, request_context
from regista.server.http.responses import ok
from regista.server.registry.services import model_versions
from regista.server.storage.repository import ArtifactRepository, validate_client_path

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu"

# Upload bytes are gathered to this size before one write in a worker thread (one thread hop per MiB
# instead of one per socket read of ~64 KiB).
WRITE_BUFFER = 1 << 20
# Files up to this size are read in one go and sent from memory: one thread hop, no file handle kept open.
SMALL_FILE = 256 << 10

# MLflow serves these as text/plain (mlflow/utils/mime_type_utils.py) so the UI can preview them.
_TEXT_EXTENSIONS = frozenset(
    [
        "txt",
        "log",
        "err",
        "cfg",
        "conf",
        "cnf",
        "cf",
        "ini",
        "properties",
        "prop",
        "hocon",
        "toml",
        "yaml",
        "yml",
        "xml",
        "json",
        "js",
        "py",
        "py3",
        "csv",
        "tsv",
        "md",
        "rst",
        "ipynb",
        "MLmodel",
        "MLproject",
    ]
)

router = APIRouter()

T = TypeVar("T")


def _content_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lstrip(".") or name
    if ext in _TEXT_EXTENSIONS:
        return "text/plain"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _download_headers(name: str) -> dict[str, str]:
    # Attachment + nosniff: an uploaded HTML file must never render on the server's origin (XSS).
    # Header values are Latin-1 bytes: a name beyond printable ASCII goes in RFC 6266's filename*, with an
    # ASCII stand-in for older clients.
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
    disposition = f'attachment; filename="{fallback}"'
    if fallback != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    return {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}


class _LargeFileResponse(FileResponse):
    chunk_size = 1 << 20


def _repo(request: Request) -> ArtifactRepository:
    repository: ArtifactRepository = request.app.state.artifacts
    return repository


def _finishing(ctx: Context, fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(ctx, *args)
    finally:
        ctx.uow.finish(commit=False)


async def _in_read_context(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """`fn(ctx, *args)` in a short read transaction, ended before any file I/O starts (async routes)."""
    ctx = request_context(request, write=False)
    if request.app.state.inline_reads:
        # SQLite reads are answered from the page cache faster than a thread hop (ADR 0001).
        return _finishing(ctx, fn, *args)
    return await anyio.to_thread.run_sync(_finishing, ctx, fn, *args)


async def _authorize(request: Request, rel: str, write: bool) -> None:
    """PERMISSION_DENIED unless the caller may read (write) `rel`; from the async routes."""
    if not current_principal(request).is_admin:
        await _in_read_context(request, artifact_access.authorize_path, rel, write)


def _authorize_sync(request: Request, rel: str, write: bool) -> None:
    """The same check from the sync routes (already in a worker thread)."""
    if not current_principal(request).is_admin:
        _finishing(request_context(request, write=False), artifact_access.authorize_path, rel, write)


def _file_path(path: str) -> str:
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Artifact path must name a file.")
    return rel


# -- upload ----------------------------------------------------------------------------------------
# Documentation only: the handler streams the raw body itself.
_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


@router.put(ARTIFACTS + "/{path:path}", openapi_extra={"requestBody": {"required": True, **_BINARY}})
async def upload_artifact(path: str, request: Request) -> Response:
    """Stream the request body into a temporary sibling file, then move it into place atomically."""
    rel = _file_path(path)
    await _authorize(request, rel, write=True)
    repo = _repo(request)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) <= WRITE_BUFFER:
        # Small files (most of a logged model): one thread hop for the whole write.
        data = await request.body()
        await anyio.to_thread.run_sync(repo.write_bytes, rel, data)
        return ok()
    fh, tmp, final = await anyio.to_thread.run_sync(repo.open_temp_for_write, rel)
    try:
        await _copy_body(request, fh)
        await anyio.to_thread.run_sync(fh.close)
        await anyio.to_thread.run_sync(repo.commit_write, tmp, final)
    except BaseException:
        # Client went away or the disk failed: leave nothing half-written behind.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_close_and_discard, repo, fh, tmp)
        raise
    return ok()


async def _copy_body(request: Request, fh: IO[bytes]) -> None:
    pending: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        if not chunk:
            continue
        pending.append(chunk)
        size += len(chunk)
        if size >= WRITE_BUFFER:
            data = b"".join(pending)
            pending.clear()
            size = 0
            await anyio.to_thread.run_sync(fh.write, data)
    if pending:
        await anyio.to_thread.run_sync(fh.write, b"".join(pending))


def _close_and_discard(repo: ArtifactRepository, fh: IO[bytes], tmp: str) -> None:
    try:
        fh.close()
    finally:
        repo.discard_write(tmp)


# -- download --------------------------------------------------------------------------------------
@router.get(
    ARTIFACTS + "/{path:path}",
    response_class=Response,
    responses={200: {"description": "The file's bytes.", **_BINARY}},
)
async def download_artifact(path: str, request: Request) -> Response:
    """Send the file's bytes; missing => 404 RESOURCE_DOES_NOT_EXIST, a directory => 400."""
    rel = _file_path(path)
    await _authorize(request, rel, write=False)
    return await _send_file(_repo(request), rel)


async def _send_file(repo: ArtifactRepository, rel: str) -> Response:
    name = posixpath.basename(rel)
    media_type = _content_type(name)
    headers = _download_headers(name)
    if repo.is_local:
        full, st, data = await anyio.to_thread.run_sync(_read_if_small, repo, rel)
        if data is not None:
            return Response(data, media_type=media_type, headers=headers)
        # FileResponse streams from disk in a worker thread and answers Range/HEAD requests itself.
        return _LargeFileResponse(full, stat_result=st, media_type=media_type, headers=headers)
    size = await anyio.to_thread.run_sync(repo.file_size, rel)
    headers["Content-Length"] = str(size)
    return StreamingResponse(repo.iter_file(rel), media_type=media_type, headers=headers)


def _read_if_small(repo: ArtifactRepository, rel: str) -> tuple[str, os.stat_result, bytes | None]:
    full, st = repo.local_file(rel)
    if st.st_size > SMALL_FILE:
        return full, st, None
    with open(full, "rb") as fh:
        return full, st, fh.read()


# -- list and delete -------------------------------------------------------------------------------
@router.get(ARTIFACTS)
def list_artifacts(request: Request, path: str = "") -> Response:
    """Direct children of `path`, relative to it; a missing path or a file path lists as `{}`."""
    rel = validate_client_path(path) if path else ""
    _authorize_sync(request, rel, write=False)
    entries = _repo(request).list_dir(rel)
    return ok({"files": files_json(entries)} if entries else None)


@router.delete(ARTIFACTS + "/{path:path}")
def delete_artifact(path: str, request: Request) -> Response:
    """Remove a file or a whole directory; deleting what is not there succeeds."""
    rel = validate_client_path(path)
    if not rel:
        raise InvalidParameter("Refusing to delete the artifact root.")
    _authorize_sync(request, rel, write=True)
    _repo(request).delete(rel)
    return ok()


# -- multipart upload and presigned download: advertised off in server-info ------------------------
# They answer 501 NOT_IMPLEMENTED (as MLflow's server does without such a store), so the OpenAPI schema,
# which lists what the server does, leaves them out.
@router.post(MPU + "/{action}/{path:path}", include_in_schema=False)
def multipart_upload(action: str, path: str) -> Response:
    raise NotImplementedFeature("Multipart upload is not supported by this server; use a plain PUT.")


@router.get("/api/2.0/mlflow-artifacts/presigned/{path:path}", include_in_schema=False)
def presigned_download(path: str) -> Response:
    raise NotImplementedFeature("Presigned downloads are not supported by this server; use a plain GET.")


# -- the web UI's run, logged-model and model-version artifact routes ------------------------------
# MLflow caps the web UI's uploads at 10 MB (they are small files dropped into a run's artifact view).
UI_UPLOAD_LIMIT = 10 << 20
_TOO_LARGE = "Artifact size is too large. Max size is 10MB."


async def _read_capped(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise InvalidParameter(_TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidParameter(_TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/ajax-api/2.0/mlflow/upload-artifact")
async def upload_run_artifact(request: Request, run_uuid: str = "", path: str = "") -> Response:
    """Write the body to `path` under the run's artifact root (CAN_EDIT on its experiment)."""
    if not run_uuid:
        raise InvalidParameter("Request must specify run_uuid.")
    if not path:
        raise InvalidParameter("Request must specify path.")
    validate_client_path(path)
    data = await _read_capped(request, UI_UPLOAD_LIMIT)
    if not data:
        raise InvalidParameter("Request must specify data.")
    rel = await _in_read_context(request, artifact_service.run_artifact_file, run_uuid, path, True)
    await anyio.to_thread.run_sync(_repo(request).write_bytes, rel, data)
    return ok()


def _required(value: str | None, name: str) -> str:
    if not value:
        raise InvalidParameter(f"Missing value for required parameter '{name}'.")
    return value


@router.get("/get-artifact")
async def get_run_artifact(
    request: Request, path: str | None = None, run_id: str | None = None, run_uuid: str | None = None
) -> Response:
    """A file under a run's artifact root (CAN_READ on its experiment)."""
    file_path = _required(path, "path")
    validate_client_path(file_path)
    rid = _required(run_id or run_uuid, "run_id")
    rel = await _in_read_context(request, artifact_service.run_artifact_file, rid, file_path, False)
    return await _send_file(_repo(request), rel)


@router.get("/model-versions/get-artifact")
async def get_model_version_artifact(
    request: Request, name: str | None = None, version: str | None = None, path: str | None = None
) -> Response:
    """A file of a model version's model (CAN_READ on the registered model)."""
    file_path = _required(path, "path")
    validate_client_path(file_path)
    args = (_required(name, "name"), _required(version, "version"), file_path)
    rel = await _in_read_context(request, model_versions.model_version_artifact_file, *args)
    return await _send_file(_repo(request), rel)


@router.get("/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files")
async def get_logged_model_artifact(model_id: str, request: Request, artifact_file_path: str = "") -> Response:
    """A file of a logged model (CAN_READ on its experiment)."""
    if not artifact_file_path:
        raise BadRequest('Request must include the "artifact_file_path" query parameter.')
    validate_client_path(artifact_file_path)
    rel = await _in_read_context(
        request, artifact_service.logged_model_artifact_file, model_id, artifact_file_path
    )
    return await _send_file(_repo(request), rel)


# -- legacy run-scoped listing (web UI) ------------------------------------------------------------
@router.get("/api/2.0/mlflow/artifacts/list")
@router.get("/ajax-api/2.0/mlflow/artifacts/list", include_in_schema=False)
def list_run_artifacts(
    ctx: ReadCtx,
    run_id: str | None = None,
    run_uuid: str | None = None,
    path: str | None = None,
) -> Response:
    """Entries under `path` of a run's artifact root, paths relative to that root."""
    rid = run_id or run_uuid
    if not rid:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    root_uri, entries = artifact_service.list_run_artifacts(ctx, rid, path)
    body: dict[str, object] = {"root_uri": root_uri}
    if entries:
        body["files"] = files_json(entries)
    return ok(body)
