"""The query of the run page: /experiments/<id>/runs/<run_id>?path=<artifact folder>&file=<artifact file>."""

from __future__ import annotations

from regista.schemas.base import Message


class RunPage(Message):
    # The artifact folder listed (relative to the run's artifact root; empty: the root).
    path: str | None = None
    # The artifact file previewed, if any.
    file: str | None = None
