"""Request messages of the artifact routes (query-string fields; the bodies of uploads are the files)."""

from __future__ import annotations

from regista.schemas.base import Message


class ListArtifacts(Message):
    path: str = ""


class ListRunArtifacts(Message):
    run_id: str | None = None
    run_uuid: str | None = None
    path: str | None = None


class UploadRunArtifact(Message):
    run_uuid: str = ""
    path: str = ""


class GetRunArtifact(Message):
    path: str | None = None
    run_id: str | None = None
    run_uuid: str | None = None


class GetModelVersionArtifact(Message):
    name: str | None = None
    version: str | None = None
    path: str | None = None


class GetLoggedModelArtifact(Message):
    artifact_file_path: str = ""
