"""Every secret regista stores, re-encrypted with the server's first key: at start (so plaintext rows
from before encryption and rows sealed with a retired key are sealed anew) and by `regista secrets rotate`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from regista.server.context import Context
from regista.server.db.unit_of_work import UnitOfWork
from regista.server.events.services.webhook_secrets import reseal_secrets as reseal_webhooks
from regista.server.principal import Principal
from regista.server.serving.services.endpoints import reseal_secrets as reseal_endpoints
from regista.server.settings import Settings
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.secrets")


@dataclass(frozen=True)
class Resealed:
    webhooks: int
    serving_endpoints: int


def reseal_all(ctx: Context) -> Resealed:
    """Seal with the first key whatever is not yet (in the caller's transaction). Raises SecretKeyError,
    changing nothing once the caller rolls back, when a stored secret opens with none of the keys."""
    return Resealed(reseal_webhooks(ctx), reseal_endpoints(ctx))


def reseal_at_start(engine: Engine, settings: Settings, admin: Principal, artifacts: ArtifactRepository) -> None:
    """The start-up pass: commits what it sealed; a secret no key opens stops the server with the reason
    (a server that cannot sign or authenticate its calls must not start as if it could)."""
    uow = UnitOfWork(engine, write=True, busy_timeout_s=settings.sqlite_busy_timeout_s)
    ctx = Context(uow, admin, artifacts, settings)
    try:
        done = reseal_all(ctx)
    except BaseException:
        ctx.finish(commit=False)
        raise
    ctx.finish(commit=True)
    if done.webhooks or done.serving_endpoints:
        log.info("Sealed the stored secrets of %d webhooks and %d serving endpoints with the first key",
                 done.webhooks, done.serving_endpoints)
