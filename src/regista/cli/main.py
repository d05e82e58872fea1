"""`regista` entry point: server, db."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from regista import __version__
from regista.cli.tokens import tokens_app, users_app

app = typer.Typer(help="regista: a self-hosted, MLflow-compatible model lifecycle server.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")


@app.command()
def server(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default 127.0.0.1, or $REGISTA_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 5000, or $REGISTA_PORT).")] = None,
    backend_store_uri: Annotated[
        str | None,
        typer.Option(help="Database URL: sqlite:///path.db or postgresql://user@host/db. "
                     "Default: SQLite in the data directory."),
    ] = None,
    artifacts_destination: Annotated[
        str | None,
        typer.Option(help="Where artifacts are stored: a local path or any fsspec URI (s3://bucket/prefix). "
                     "Default: artifacts/ in the data directory."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Number of server processes (default 1, or $REGISTA_WORKERS).")
    ] = None,
    data_dir: Annotated[
        str | None,
        typer.Option(help="Folder for the embedded SQLite database and artifacts (default ./regista-data, "
                     "or $REGISTA_DATA_DIR)."),
    ] = None,
    auth: Annotated[
        bool | None,
        typer.Option("--auth/--no-auth", help="Require a personal access token on every request ($REGISTA_AUTH). "
                     "Default: on unless the server listens on loopback only. The built-in user `admin` "
                     "gets $REGISTA_ADMIN_TOKEN as its token."),
    ] = None,
    allow_unauthenticated_remote: Annotated[
        bool,
        typer.Option(help="Allow --no-auth on a non-loopback host: anyone who can reach the port is an admin "
                     "($REGISTA_ALLOW_UNAUTHENTICATED_REMOTE)."),
    ] = False,
    max_request_body_bytes: Annotated[
        int | None,
        typer.Option(min=1, help="Largest JSON request body accepted, in bytes; larger ones get 413 "
                     "(default 32 MiB, or $REGISTA_MAX_REQUEST_BODY_BYTES). Artifact uploads are not capped."),
    ] = None,
) -> None:
    """Run the tracking, registry and artifact server (same flag names as `mlflow server`)."""
    import uvicorn

    from regista.server.app import EXPERIMENT_ARTIFACT_URI
    from regista.server.db.engine import build_engine
    from regista.server.db.migrate import SchemaError
    from regista.server.db.setup import prepare_database
    from regista.server.services.bootstrap import ensure_builtin_identities
    from regista.server.settings import Settings, is_loopback

    overrides = {
        "REGISTA_HOST": host,
        "REGISTA_PORT": None if port is None else str(port),
        "REGISTA_BACKEND_STORE_URI": backend_store_uri,
        "REGISTA_ARTIFACTS_DESTINATION": artifacts_destination,
        "REGISTA_DATA_DIR": data_dir,
        "REGISTA_WORKERS": None if workers is None else str(workers),
        "REGISTA_AUTH": None if auth is None else str(auth).lower(),
        "REGISTA_ALLOW_UNAUTHENTICATED_REMOTE": "true" if allow_unauthenticated_remote else None,
        "REGISTA_MAX_REQUEST_BODY_BYTES": None if max_request_body_bytes is None else str(
            max_request_body_bytes
        ),
    }
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = value
    settings = Settings.from_env()
    if not settings.auth_enabled and not is_loopback(settings.host) and not settings.allow_unauthenticated_remote:
        typer.echo(
            f"error: refusing to listen on {settings.host} without authentication: every caller would be an "
            "admin. Drop --no-auth (and set REGISTA_ADMIN_TOKEN), or pass --allow-unauthenticated-remote.",
            err=True,
        )
        raise typer.Exit(2)
    # Check (and migrate) the schema once here, so a refusal is one clear line and worker processes
    # only find a current schema.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database_url)
    try:
        prepare_database(engine, EXPERIMENT_ARTIFACT_URI, auto_migrate=settings.auto_migrate)
        ensure_builtin_identities(engine, settings.admin_token)
    except SchemaError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    mode = "authentication on" if settings.auth_enabled else "authentication off: every caller is the admin"
    typer.echo(f"regista {__version__} listening on http://{settings.host}:{settings.port} ({mode})", err=True)
    uvicorn.run(
        "regista.server.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # httptools, with the parser's own refusals (e.g. a URL over 64 KiB) in MLflow's JSON envelope.
        http="regista.server.protocol:EnvelopeHttpToolsProtocol",
        loop="uvloop",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
    )


def _db_engine(backend_store_uri: str | None):  # type: ignore[no-untyped-def]
    from regista.server.db.engine import build_engine
    from regista.server.settings import Settings

    settings = Settings.from_env(backend_store_uri=backend_store_uri)
    if settings.backend_store_uri is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return build_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)


BackendStoreUri = Annotated[
    str | None, typer.Option(help="Database URL (default: the embedded SQLite database in the data directory).")
]


@db_app.command("upgrade")
def db_upgrade(backend_store_uri: BackendStoreUri = None) -> None:
    """Apply all pending schema migrations (back up the database first)."""
    from regista.server.app import EXPERIMENT_ARTIFACT_URI
    from regista.server.db.migrate import SchemaError, upgrade_to_head
    from regista.server.db.setup import prepare_database

    engine = _db_engine(backend_store_uri)
    try:
        head = upgrade_to_head(engine)
        prepare_database(engine, EXPERIMENT_ARTIFACT_URI, auto_migrate=False)
    except SchemaError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"database is at the current schema ({head})")


@db_app.command("current")
def db_current(backend_store_uri: BackendStoreUri = None) -> None:
    """Show the database's schema revision and whether it is current, old, or from a newer regista."""
    from regista.server.db.migrate import HEAD_REVISION, schema_state

    engine = _db_engine(backend_store_uri)
    try:
        with engine.connect() as conn:
            state, revision = schema_state(conn)
    finally:
        engine.dispose()
    typer.echo(f"revision: {revision or '-'}  head: {HEAD_REVISION}  state: {state.value}")
    if state.value in ("newer", "unversioned"):
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the regista version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
