"""create_app(settings): engine, artifact repository, routers, error handlers and lifespan; no globals."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from regista.server.catalog.api import uploads
from regista.server.catalog.services.catalog_sweep import CatalogSweep
from regista.server.db.engine import build_engine
from regista.server.db.setup import prepare_database
from regista.server.events.services.dispatcher import Dispatcher
from regista.server.http import health
from regista.server.http.access_log import AccessLogMiddleware
from regista.server.http.authentication import AuthenticationMiddleware
from regista.server.http.error_handlers import install_error_handlers
from regista.server.http.openapi import install_openapi
from regista.server.identity.services.authentication import Authenticator
from regista.server.identity.services.bootstrap import ensure_builtin_identities
from regista.server.logs import configure_logging
from regista.server.registry.services.registry_storage import PeriodicSweep, start_up_sweep
from regista.server.routes import (
    include_databricks_api,
    include_mlflow_api,
    include_unity_catalog_api,
    include_web_ui,
)
from regista.server.serving.services.gateway import ServingGateway
from regista.server.settings import Settings
from regista.server.storage.repository import ArtifactRepository
from regista.server.stored_secrets import reseal_at_start
from regista.server.ui.api import shell

# Experiments get artifact locations under the proxy scheme, so clients resolve them against
# whatever tracking URI (and path prefix) they used.
EXPERIMENT_ARTIFACT_URI = "mlflow-artifacts:/{experiment_id}"


def create_app(settings: Settings) -> FastAPI:
    """Build a fully wired application for `settings`."""
    if settings.backend_store_uri is None or settings.artifacts_destination is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)
    # The key that encrypts stored secrets: read (or created) now, so a bad REGISTA_SECRET_KEYS stops the start.
    _ = settings.secret_box

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare_database(engine, EXPERIMENT_ARTIFACT_URI, auto_migrate=settings.auto_migrate)
        builtins = ensure_builtin_identities(engine, settings.admin_token)
        app.state.default_principal = builtins.admin
        if settings.auth_enabled:
            app.state.authenticator = Authenticator(engine, builtins.users_group_id, builtins.admins_group_id)
        # Stored secrets not sealed with the first key (plaintext from before encryption, a retired key).
        await anyio.to_thread.run_sync(reseal_at_start, engine, settings, builtins.admin, app.state.artifacts)
        # Registry copies no version references (a crash, a failed commit) go at start-up, then hourly.
        await anyio.to_thread.run_sync(start_up_sweep, engine, app.state.artifacts)
        sweep = PeriodicSweep(engine, app.state.artifacts)
        sweep.start()
        # Unity Catalog versions never finalized and abandoned upload sessions: checked at start, then every
        # tenth of the shorter timeout.
        catalog_sweep = CatalogSweep(engine, app.state.artifacts, settings)
        catalog_sweep.start()
        # Webhooks and e-mails are sent from the outbox after commit, by a background task of this process.
        dispatcher = None
        if settings.events_dispatcher:
            dispatcher = Dispatcher(engine, settings, app.state.artifacts, app.state.write_lock)
            dispatcher.start()
            app.state.events_recorded = dispatcher.notify
        # Model serving: one process per data folder supervises the model workers, the others forward to it.
        serving = None
        if settings.serving:
            serving = ServingGateway(engine, settings, app.state.artifacts, builtins.admin, app.state.write_lock)
            await serving.start()
            app.state.serving = serving
        yield
        if serving is not None:
            await serving.stop()
        if dispatcher is not None:
            await dispatcher.stop()
        catalog_sweep.stop()
        sweep.stop()
        engine.dispose()

    app = FastAPI(title="regista", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.artifacts = ArtifactRepository(settings.artifact_root)
    app.state.write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
    # Read-only requests on SQLite run on the event loop (see http/routing.py); PostgreSQL reads wait on
    # the network, so they keep their worker thread.
    app.state.inline_reads = engine.dialect.name == "sqlite"
    app.state.authenticator = None
    # Set by the lifespan when this process runs the event dispatcher (see events/services/dispatcher.py).
    app.state.events_recorded = None
    # Set by the lifespan when serving is on (see serving/services/gateway.py).
    app.state.serving = None
    if settings.auth_enabled:
        # The web UI's sign-in page and static files need no credentials; other page requests without
        # credentials are sent to the sign-in page.
        app.add_middleware(
            AuthenticationMiddleware, state=app.state, open_paths=shell.OPEN_PATHS,
            # Multipart upload parts carry their session's token instead of credentials (presigned style).
            open_prefixes=(*shell.OPEN_PREFIXES, uploads.PARTS + "/"), signin_path=shell.SIGNIN_PATH,
        )
    if settings.access_log:
        # Added after authentication, so it runs outside it: it times the whole request and sees the
        # principal that authentication put in the scope (only the error catch-all is further out).
        app.add_middleware(AccessLogMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    include_mlflow_api(app)
    include_unity_catalog_api(app)
    include_databricks_api(app)
    include_web_ui(app)
    install_openapi(app)
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn factory (`regista server`): settings travel to worker processes as REGISTA_* variables."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
