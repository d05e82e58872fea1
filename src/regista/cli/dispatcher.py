"""`regista dispatcher`: the event dispatcher (webhook calls and e-mails) as a process of its own, so that
deliveries never share a server process's CPU time with requests. Servers then run with
REGISTA_EVENTS_DISPATCHER=false; on SQLite one dispatcher per database works at a time (a lock file)."""

from __future__ import annotations

import asyncio
import signal

import typer

from regista.cli.database import BackendStoreUri, DataDir, describe, fail, open_database


def dispatcher(backend_store_uri: BackendStoreUri = None, data_dir: DataDir = None) -> None:
    """Deliver webhooks and e-mails from the server's database until stopped (SIGTERM or Ctrl-C).

    Takes the settings `regista server` takes from REGISTA_* variables (SMTP, webhook timeouts, the secret
    keys that open webhook secrets, REGISTA_EVENTS_POLL_INTERVAL: how soon it sees a server's new events)."""
    from regista.server.events.services.dispatcher import Dispatcher
    from regista.server.logs import configure_logging
    from regista.server.secret_box import SecretKeyError
    from regista.server.storage.repository import ArtifactRepository

    settings, engine = open_database(backend_store_uri, data_dir, create=False)
    try:
        _ = settings.secret_box
    except SecretKeyError as err:
        engine.dispose()
        raise fail(str(err)) from None
    configure_logging(settings.log_level)

    async def run() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        worker = Dispatcher(engine, settings, ArtifactRepository(settings.artifact_root), None)
        worker.start()
        typer.echo(f"regista dispatcher delivering events of {describe(settings, backend_store_uri, data_dir)}",
                   err=True)
        await done.wait()
        await worker.stop()

    try:
        asyncio.run(run())
    finally:
        engine.dispose()
