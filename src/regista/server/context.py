"""The per-request context a service function receives: the transaction, the caller and app resources."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from regista.server.events.outbox import record_event
from regista.server.principal import Principal

if TYPE_CHECKING:
    from regista.server.db.unit_of_work import UnitOfWork
    from regista.server.identity.services.authentication import Authenticator
    from regista.server.settings import Settings
    from regista.server.storage.repository import ArtifactRepository


@dataclass
class Context:
    uow: UnitOfWork
    principal: Principal
    artifacts: ArtifactRepository
    settings: Settings
    # Set when authentication is on; services that change tokens or memberships clear its cache.
    authenticator: Authenticator | None = None

    @property
    def conn(self) -> Connection:
        """This request's connection, inside its one transaction (opened on first use)."""
        return self.uow.conn

    @contextmanager
    def separate_read(self) -> Iterator[Context]:
        """A read-only Context with its own short transaction, ended on exit: for reads that must happen
        before this request's (write) transaction opens, e.g. ahead of copying files, so that slow I/O
        never runs while the write lock is held."""
        uow = self.uow.reader()
        try:
            yield Context(uow, self.principal, self.artifacts, self.settings, self.authenticator)
        finally:
            uow.finish(commit=False)

    def identities_changed(self) -> None:
        """Tokens, identities or group memberships changed: cached principals are stale."""
        if self.authenticator is not None:
            self.authenticator.forget_all()

    def record(self, event_type: str, payload: dict[str, Any]) -> None:
        """Record a domain event in this request's transaction."""
        record_event(self.conn, self.principal, event_type, payload)
