"""The per-request context a service function receives: the transaction, the caller and app resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from regista.server.events.outbox import record_event
from regista.server.principal import Principal

if TYPE_CHECKING:
    from regista.server.artifacts.repository import ArtifactRepository
    from regista.server.settings import Settings


@dataclass
class Context:
    conn: Connection
    principal: Principal
    artifacts: "ArtifactRepository"
    settings: "Settings"

    def record(self, event_type: str, payload: dict[str, Any]) -> None:
        """Record a domain event in this request's transaction."""
        record_event(self.conn, self.principal, event_type, payload)
