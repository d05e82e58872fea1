"""The per-request context a service function receives: the transaction, the caller and app resources."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from regista.server.events.outbox import record_event
from regista.server.principal import Principal

if TYPE_CHECKING:
    from regista.server.db.unit_of_work import UnitOfWork
    from regista.server.identity.services.authentication import Authenticator
    from regista.server.settings import Settings
    from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.context")


@dataclass
class Context:
    uow: UnitOfWork
    principal: Principal
    artifacts: ArtifactRepository
    settings: Settings
    # Set when authentication is on; services that change tokens or memberships clear its cache.
    authenticator: Authenticator | None = None
    # Told after a commit that recorded events (the event dispatcher's wake-up), when one runs here.
    events_recorded: Callable[[], None] | None = None
    # Side effects registered by services, run by `finish` (None until the first one: most requests have none).
    _after_commit: list[Callable[[], None]] | None = field(default=None, init=False, repr=False, compare=False)
    _on_rollback: list[Callable[[], None]] | None = field(default=None, init=False, repr=False, compare=False)
    # A separate read (see separate_read) has nothing to commit, so no side effects either.
    _read_only: bool = field(default=False, init=False, repr=False, compare=False)

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
        reader = Context(uow, self.principal, self.artifacts, self.settings, self.authenticator)
        reader._read_only = True
        try:
            yield reader
        finally:
            # Ends a read-only snapshot early, before the slow I/O: nothing is committed and no side effect
            # can be attached to it, so this is not a second place where requests commit.
            uow.finish(commit=False)

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn()` once this request's transaction has committed (never if it rolls back), in the order
        registered. For side effects outside the database (deleting files) that must follow the change
        that caused them; an error in `fn` is logged, not raised: the change is already committed."""
        self._hook("after_commit").append(fn)

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Run `fn()` if this request's transaction rolls back (the handler failed, or the commit did): to
        undo work done outside the database for a change that never happened (a copy of files)."""
        self._hook("on_rollback").append(fn)

    def _hook(self, kind: str) -> list[Callable[[], None]]:
        if self._read_only:
            raise RuntimeError("A separate read commits nothing: register side effects on the request's context.")
        hooks: list[Callable[[], None]] | None = getattr(self, "_" + kind)
        if hooks is None:
            hooks = []
            setattr(self, "_" + kind, hooks)
        return hooks

    def finish(self, commit: bool) -> None:
        """End this context's transaction: commit it (`commit`) or roll it back, then run the side effects
        registered for that outcome. A commit that fails counts as a rollback (and its error is raised).
        The one way a request's transaction ends: called by http/routing.py (and by the CLI for its own
        commands)."""
        try:
            self.uow.finish(commit)
        except BaseException:
            self._run(self._on_rollback)
            raise
        self._run(self._after_commit if commit else self._on_rollback)

    def _run(self, hooks: list[Callable[[], None]] | None) -> None:
        self._after_commit = self._on_rollback = None
        for fn in hooks or ():
            try:
                fn()
            except Exception:
                log.exception("A side effect of the request failed after its transaction ended")

    def identities_changed(self) -> None:
        """Tokens, identities or group memberships changed: cached principals are stale."""
        if self.authenticator is not None:
            self.authenticator.forget_all()

    def record(self, event_type: str, payload: dict[str, Any]) -> None:
        """Record a domain event in this request's transaction."""
        record_event(self.conn, self.principal, event_type, payload)
        notify = self.events_recorded
        if notify is not None and notify not in (self._after_commit or ()):
            self.after_commit(notify)
