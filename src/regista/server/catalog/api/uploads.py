"""The databricks-sdk's multipart upload of Unity Catalog version files (files of 50 MB and more):
`POST /api/2.0/fs/files/<path>?action=initiate-upload` and `?action=complete-upload`,
`POST /api/2.0/fs/create-upload-part-urls` and `create-abort-upload-url`, and the part URLs they hand out
(`PUT` / `DELETE /api/2.0/fs/upload-parts/<token>[/<n>]`), which the SDK calls without credentials, as it
would a cloud store's presigned URLs: the session token in the URL is the credential (app.py leaves that
prefix open). Parts stream to the store; the completion joins them into the file, outside the transaction."""

from __future__ import annotations

import hashlib
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from regista.errors import AlreadyExists, InvalidParameter, NotFound
from regista.schemas.base import Message
from regista.schemas.numbers import Int32
from regista.server.catalog.api.files import FILES, close_and_discard, copy_body
from regista.server.catalog.services import uc_files, uc_uploads
from regista.server.catalog.services.uc_uploads import UploadSession
from regista.server.http.deps import ReadCtx, public_base_url
from regista.server.http.parsing import message, query_message, read_json_object
from regista.server.http.responses import ok
from regista.server.http.routing import OutsideTransaction, TransactionalRoute, outside_transaction
from regista.server.storage.repository import ArtifactRepository

PARTS = "/api/2.0/fs/upload-parts"

router = APIRouter(route_class=TransactionalRoute)
# The part URLs: no caller identity, no transaction (the token names the session; the store is all they touch).
part_router = APIRouter()


class FileAction(Message):
    action: str = ""
    overwrite: str = "true"
    session_token: str | None = None
    upload_type: str | None = None


class PartUrlsRequest(Message):
    path: str = ""
    session_token: str = ""
    start_part_number: Int32 = 1
    count: Int32 = 1
    expire_time: str | None = None


class AbortUrlRequest(Message):
    path: str = ""
    session_token: str = ""
    expire_time: str | None = None


def _repo(request: Request) -> ArtifactRepository:
    repository: ArtifactRepository = request.app.state.artifacts
    return repository


async def _session(repo: ArtifactRepository, token: str) -> UploadSession:
    path = uc_uploads.session_file(token)
    try:
        data = b"".join(await anyio.to_thread.run_sync(lambda: list(repo.iter_file(path))))
    except NotFound:
        raise NotFound("No such upload session.") from None
    return uc_uploads.load(data)


@router.post(FILES + "/{path:path}")
def file_action(ctx: ReadCtx, req: Annotated[FileAction, Depends(query_message(FileAction))],
                path: str) -> OutsideTransaction:
    """initiate-upload (a new session) or complete-upload (join the parts); the caller's right to upload
    the file is checked for both."""
    if req.action == "initiate-upload":
        return outside_transaction(_initiate, uc_uploads.start(ctx, path), req.overwrite.lower() != "false")
    if req.action == "complete-upload":
        if (req.upload_type or "multipart") != "multipart":
            raise InvalidParameter(f"Unsupported upload_type '{req.upload_type}': this server takes multipart.")
        target = uc_files.upload_target(ctx, path)
        return outside_transaction(_complete, uc_uploads.checked_token(req.session_token), ctx.principal.name,
                                   target.store_path)
    raise InvalidParameter(f"Unsupported action '{req.action}': use initiate-upload or complete-upload.")


async def _initiate(request: Request, session: UploadSession, overwrite: bool) -> Response:
    repo = _repo(request)
    if not overwrite and await anyio.to_thread.run_sync(repo.is_file, session.store_path):
        raise AlreadyExists(f"The file '{session.api_path}' already exists.")
    await anyio.to_thread.run_sync(repo.write_bytes, uc_uploads.session_file(session.token), session.to_json())
    return ok({"multipart_upload": {"session_token": session.token}})


async def _complete(request: Request, token: str, principal: str, store_path: str) -> Response:
    repo = _repo(request)
    session = uc_uploads.owned(await _session(repo, token), principal, store_path)
    body = await read_json_object(request)
    wanted = uc_uploads.completed_parts(body.get("parts"))
    await anyio.to_thread.run_sync(_join, repo, session, wanted)
    return ok()


def _join(repo: ArtifactRepository, session: UploadSession, wanted: list[tuple[int, str]]) -> None:
    stored = {n: b"".join(repo.iter_file(uc_uploads.part_file(session.token, n) + ".etag")).decode()
              for n, _ in wanted if repo.is_file(uc_uploads.part_file(session.token, n) + ".etag")}
    uc_uploads.check_etags(wanted, stored)
    fh, tmp, final = repo.open_temp_for_write(session.store_path)
    try:
        with fh:
            for number, _ in wanted:
                for chunk in repo.iter_file(uc_uploads.part_file(session.token, number)):
                    fh.write(chunk)
        repo.commit_write(tmp, final)
    except BaseException:
        repo.discard_write(tmp)
        raise
    repo.delete(uc_uploads.session_dir(session.token))


@router.post("/api/2.0/fs/create-upload-part-urls")
def create_upload_part_urls(ctx: ReadCtx, req: Annotated[PartUrlsRequest, Depends(message(PartUrlsRequest))]
                            ) -> OutsideTransaction:
    target = uc_files.upload_target(ctx, req.path)
    first = uc_uploads.part_number(req.start_part_number)
    if not 1 <= req.count <= uc_uploads.MAX_URLS_PER_CALL or first + req.count - 1 > uc_uploads.MAX_PART_NUMBER:
        raise InvalidParameter(f"count must be between 1 and {uc_uploads.MAX_URLS_PER_CALL}, and parts end at "
                               f"{uc_uploads.MAX_PART_NUMBER}.")
    return outside_transaction(_part_urls, uc_uploads.checked_token(req.session_token), ctx.principal.name,
                               target.store_path, first, req.count)


async def _part_urls(request: Request, token: str, principal: str, store_path: str, first: int,
                     count: int) -> Response:
    uc_uploads.owned(await _session(_repo(request), token), principal, store_path)
    base = f"{public_base_url(request)}{PARTS}/{token}"
    return ok({"upload_part_urls": [{"url": f"{base}/{n}", "part_number": n, "headers": []}
                                    for n in range(first, first + count)]})


@router.post("/api/2.0/fs/create-abort-upload-url")
def create_abort_upload_url(ctx: ReadCtx, req: Annotated[AbortUrlRequest, Depends(message(AbortUrlRequest))]
                            ) -> OutsideTransaction:
    return outside_transaction(_abort_url, uc_uploads.checked_token(req.session_token), ctx.principal.name)


async def _abort_url(request: Request, token: str, principal: str) -> Response:
    uc_uploads.owned(await _session(_repo(request), token), principal, None)
    return ok({"abort_upload_url": {"url": f"{public_base_url(request)}{PARTS}/{token}", "headers": []}})


@part_router.put(PARTS + "/{token}/{number}", include_in_schema=False)
async def upload_part(request: Request, token: str, number: str) -> Response:
    """Stream one part into the session; its SHA-256 is the ETag the completion must quote."""
    repo = _repo(request)
    session = uc_uploads.usable(await _session(repo, token))
    path = uc_uploads.part_file(session.token, uc_uploads.part_number(number))
    fh, tmp, final = await anyio.to_thread.run_sync(repo.open_temp_for_write, path)
    digest = hashlib.sha256()
    try:
        await copy_body(request, fh, digest.update)
        await anyio.to_thread.run_sync(fh.close)
        await anyio.to_thread.run_sync(repo.commit_write, tmp, final)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(close_and_discard, repo, fh, tmp)
        raise
    etag = digest.hexdigest()
    await anyio.to_thread.run_sync(repo.write_bytes, path + ".etag", etag.encode())
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


@part_router.delete(PARTS + "/{token}", include_in_schema=False)
async def abort_upload(request: Request, token: str) -> Response:
    """Drop the session and its parts (the SDK's abort after a failed upload)."""
    repo = _repo(request)
    await _session(repo, token)
    await anyio.to_thread.run_sync(repo.delete, uc_uploads.session_dir(token))
    return Response(status_code=200)
