"""The query of the Compare versions page: /models/<name>/compare?version=1&version=3&diff=1."""

from __future__ import annotations

from regista.schemas.base import Message


class CompareVersions(Message):
    version: list[str] = []
    # "1" (the "Show differences only" checkbox): only the rows whose values differ between the versions.
    diff: str | None = None


class CompareRuns(Message):
    """The query of the Compare runs page: /experiments/<id>/compare?run=<id>&run=<id>&diff=1."""

    run: list[str] = []
    diff: str | None = None
