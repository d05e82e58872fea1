"""Multipart uploads of Unity Catalog version files (the databricks-sdk's protocol for files of 50 MB and more):
a session started on a file the caller may upload, parts sent in parallel to URLs that carry the session's
token (the SDK sends them without credentials, as to a cloud store's presigned URLs), and a completion that
joins the parts in order into the file.

A session lives in the artifact store, beside nothing a client can reach (`_catalog/_uploads/<token>/`):
`session.json` names the target, the principal who started it and its expiry; each part is `<n>` with its
checksum in `<n>.etag`. The token is 256 random bits: holding it is what lets a part in, so it is checked
for shape before it becomes a path, and only the session's own principal may ask for part URLs, complete or
abort it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from regista.errors import InvalidParameter, NotFound, PermissionDenied
from regista.schemas.numbers import parse_int
from regista.server.catalog.services import uc_files
from regista.server.clock import now_ms
from regista.server.context import Context

UPLOADS_ROOT = "_catalog/_uploads"
# S3's bounds, which the SDK's part sizes are chosen for.
MAX_PART_NUMBER = 10_000
MAX_URLS_PER_CALL = 1_000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class UploadSession:
    token: str
    store_path: str  # where the joined file goes
    api_path: str  # the Files API path it was started on
    principal: str
    expires_at: int

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))


def session_dir(token: str) -> str:
    return f"{UPLOADS_ROOT}/{checked_token(token)}"


def session_file(token: str) -> str:
    return f"{session_dir(token)}/session.json"


def part_file(token: str, part_number: int) -> str:
    return f"{session_dir(token)}/{part_number}"


def is_token(name: str) -> bool:
    return bool(_TOKEN.fullmatch(name))


def checked_token(token: str | None) -> str:
    """The token, once it has the shape of one this server issues (so it can never name another path)."""
    if not token or not is_token(token):
        raise NotFound("No such upload session.")
    return token


def part_number(value: str | int | None) -> int:
    return parse_int(value, "part_number", 1, MAX_PART_NUMBER)


def start(ctx: Context, path: str) -> UploadSession:
    """A new session for the file at `path`, which the caller must be allowed to upload (as for one PUT)."""
    target = uc_files.upload_target(ctx, path)
    # A session not completed in time (settings.uc_upload_timeout_s) is abandoned: upload_sweep removes it.
    return UploadSession(secrets.token_urlsafe(32), target.store_path, target.api_path, ctx.principal.name,
                         now_ms() + int(ctx.settings.uc_upload_timeout_s * 1000))


def load(data: bytes) -> UploadSession:
    return UploadSession(**orjson.loads(data))


def usable(session: UploadSession) -> UploadSession:
    """The session, unless it expired (then it is as good as gone)."""
    if session.expires_at < now_ms():
        raise NotFound("The upload session expired; start the upload again.")
    return session


def owned(session: UploadSession, principal: str, store_path: str | None) -> UploadSession:
    """The session, when `principal` started it and `store_path` (if given: where the caller, checked again
    by upload_target, may upload now) is the file it was started on; so a privilege revoked meanwhile, or a
    version finalized meanwhile, stops the upload."""
    usable(session)
    if session.principal != principal:
        raise PermissionDenied("This upload session belongs to another principal.")
    if store_path is not None and store_path != session.store_path:
        raise InvalidParameter("The upload session was started for another file.")
    return session


def completed_parts(parts: Any) -> list[tuple[int, str]]:
    """(part number, etag) of a complete-upload body: numbered 1..N without a gap, as the SDK sends them."""
    if not parts or not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise InvalidParameter("A multipart upload is completed with its parts: [{part_number, etag}].")
    out = [(part_number(p.get("part_number")), str(p.get("etag", ""))) for p in parts]
    out.sort()
    if [n for n, _ in out] != list(range(1, len(out) + 1)):
        raise InvalidParameter("The parts of a multipart upload must be numbered 1 to N without a gap.")
    return out


def check_etags(wanted: list[tuple[int, str]], stored: dict[int, str]) -> None:
    for number, etag in wanted:
        if number not in stored:
            raise InvalidParameter(f"Part {number} was never uploaded.")
        if stored[number] != etag.strip('"'):
            raise InvalidParameter(f"Part {number}'s etag does not match the part received.")
