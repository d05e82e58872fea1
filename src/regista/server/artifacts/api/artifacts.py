"""The mlflow-artifacts proxy (/api/2.0/mlflow-artifacts/...) and the web UI's artifact routes: the legacy
run-scoped listing, get-artifact, upload-artifact and the logged-model / model-version file reads.

Uploads and downloads are streamed so memory does not grow with the artifact size (mlflow-rest.md §1.7).
Every route is a TransactionalRoute handler: a service checks the caller's permission and resolves the store
path inside the request's transaction (admins pass without touching the database), then the handler returns
`outside_transaction(...)` and the file I/O runs once that transaction has ended.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
from typing import IO, Annotated
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from regista.errors import BadRequest, InvalidParameter, NotImplementedFeature
from regista.server.artifacts.schemas.listings import files_json
from regista.server.artifacts.schemas.requests import (
    GetLoggedModelArtifact,
    GetModelVersionArtifact,
    GetRunArtifact,
    ListArtifacts,
    ListRunArtifacts,
    UploadRunArtifact,
)
from regista.server.artifacts.services import artifacts as artifact_service
from regista.server.artifacts.services import proxy
from regista.server.http.deps import ReadCtx, WriteCtx
from regista.server.http.parsing import message, query_message, read_capped
from regista.server.http.responses import ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction
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

router = APIRouter(route_class=TransactionalRoute)


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


# -- upload ----------------------------------------------------------------------------------------
# Documentation only: the handler streams the raw body itself.
_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


@router.put(ARTIFACTS + "/{path:path}", openapi_extra={"requestBody": {"required": True, **_BINARY}})
def upload_artifact(ctx: ReadCtx, path: str) -> OutsideTransaction:
    """Stream the request body into a temporary sibling file, then move it into place atomically."""
    return outside_transaction(_receive_file, proxy.upload_path(ctx, path))


async def _receive_file(request: Request, rel: str) -> Response:
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
def download_artifact(ctx: ReadCtx, path: str) -> OutsideTransaction:
    """Send the file's bytes; missing => 404 RESOURCE_DOES_NOT_EXIST, a directory => 400."""
    return outside_transaction(_send, proxy.download_path(ctx, path))


async def _send(request: Request, rel: str) -> Response:
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
def list_artifacts(ctx: ReadCtx, req: Annotated[ListArtifacts, Depends(message(ListArtifacts))]) -> OutsideTransaction:
    """Direct children of `path`, relative to it; a missing path or a file path lists as `{}`."""
    return outside_transaction(_list, proxy.listing_path(ctx, req.path))


async def _list(request: Request, rel: str) -> Response:
    entries = await anyio.to_thread.run_sync(_repo(request).list_dir, rel)
    return ok({"files": files_json(entries)} if entries else None)


@router.delete(ARTIFACTS + "/{path:path}")
def delete_artifact(ctx: WriteCtx, path: str) -> OutsideTransaction:
    """Remove a file or a whole directory (the deletion is recorded first); deleting what is not there
    succeeds. The files go once the event is committed: a failure then reaches the client, who retries."""
    return outside_transaction(_delete, proxy.delete_artifact(ctx, path))


async def _delete(request: Request, rel: str) -> Response:
    await anyio.to_thread.run_sync(_repo(request).delete, rel)
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


@router.post("/ajax-api/2.0/mlflow/upload-artifact")
def upload_run_artifact(
    ctx: ReadCtx, req: Annotated[UploadRunArtifact, Depends(query_message(UploadRunArtifact))]
) -> OutsideTransaction:
    """Write the body to `path` under the run's artifact root (CAN_EDIT on its experiment)."""
    if not req.run_uuid:
        raise InvalidParameter("Request must specify run_uuid.")
    if not req.path:
        raise InvalidParameter("Request must specify path.")
    validate_client_path(req.path)
    return outside_transaction(_receive_ui_file, artifact_service.run_artifact_file(ctx, req.run_uuid, req.path, True))


async def _receive_ui_file(request: Request, rel: str) -> Response:
    data = await read_capped(request, UI_UPLOAD_LIMIT, InvalidParameter(_TOO_LARGE))
    if not data:
        raise InvalidParameter("Request must specify data.")
    await anyio.to_thread.run_sync(_repo(request).write_bytes, rel, data)
    return ok()


def _required(value: str | None, name: str) -> str:
    if not value:
        raise InvalidParameter(f"Missing value for required parameter '{name}'.")
    return value


@router.get("/get-artifact")
def get_run_artifact(ctx: ReadCtx, req: Annotated[GetRunArtifact, Depends(message(GetRunArtifact))]) -> OutsideTransaction:
    """A file under a run's artifact root (CAN_READ on its experiment)."""
    file_path = _required(req.path, "path")
    validate_client_path(file_path)
    rid = _required(req.run_id or req.run_uuid, "run_id")
    return outside_transaction(_send, artifact_service.run_artifact_file(ctx, rid, file_path, False))


@router.get("/model-versions/get-artifact")
def get_model_version_artifact(
    ctx: ReadCtx, req: Annotated[GetModelVersionArtifact, Depends(message(GetModelVersionArtifact))]
) -> OutsideTransaction:
    """A file of a model version's model (CAN_READ on the registered model)."""
    file_path = _required(req.path, "path")
    validate_client_path(file_path)
    name, version = _required(req.name, "name"), _required(req.version, "version")
    return outside_transaction(_send, model_versions.model_version_artifact_file(ctx, name, version, file_path))


@router.get("/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files")
def get_logged_model_artifact(
    ctx: ReadCtx, model_id: str, req: Annotated[GetLoggedModelArtifact, Depends(message(GetLoggedModelArtifact))]
) -> OutsideTransaction:
    """A file of a logged model (CAN_READ on its experiment)."""
    if not req.artifact_file_path:
        raise BadRequest('Request must include the "artifact_file_path" query parameter.')
    validate_client_path(req.artifact_file_path)
    rel = artifact_service.logged_model_artifact_file(ctx, model_id, req.artifact_file_path)
    return outside_transaction(_send, rel)


# -- legacy run-scoped listing (web UI) ------------------------------------------------------------
@router.get("/api/2.0/mlflow/artifacts/list")
@router.get("/ajax-api/2.0/mlflow/artifacts/list", include_in_schema=False)
def list_run_artifacts(
    ctx: ReadCtx, req: Annotated[ListRunArtifacts, Depends(message(ListRunArtifacts))]
) -> OutsideTransaction:
    """Entries under `path` of a run's artifact root, paths relative to that root."""
    rid = req.run_id or req.run_uuid
    if not rid:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    return outside_transaction(_list_run, *artifact_service.run_artifact_listing(ctx, rid, req.path))


async def _list_run(request: Request, root_uri: str, where: str | None, rel: str) -> Response:
    entries = await anyio.to_thread.run_sync(artifact_service.listed_entries, _repo(request), where, rel)
    body: dict[str, object] = {"root_uri": root_uri}
    if entries:
        body["files"] = files_json(entries)
    return ok(body)
