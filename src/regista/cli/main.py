"""`regista` entry point: --version, server, db, tokens, users, catalog, webhooks, notifications, predict,
notebook."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from regista import __version__
from regista.cli.catalog import catalog_app
from regista.cli.database import BackendStoreUri, Create, DataDir, describe, fail, locate_database
from regista.cli.dispatcher import dispatcher
from regista.cli.predict import notebook, predict
from regista.cli.secrets import secrets_app
from regista.cli.serving import serving_app
from regista.cli.tokens import tokens_app, users_app
from regista.cli.webhooks import notifications_app, webhooks_app

if TYPE_CHECKING:
    import socket

    from regista.server.settings import Settings

# rich_markup_mode=None: click's plain help, which wraps descriptions but never cuts an option name at 80
# columns (rich's option table did: `--allow-unauthentic…`).
app = typer.Typer(help="regista: a self-hosted, MLflow-compatible model lifecycle server.", no_args_is_help=True,
                  rich_markup_mode=None)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")
app.add_typer(catalog_app, name="catalog")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(notifications_app, name="notifications")
app.add_typer(serving_app, name="serving")
app.add_typer(secrets_app, name="secrets")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """regista: a self-hosted, MLflow-compatible model lifecycle server."""


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
        int | None, typer.Option(help="Number of server processes (default 1, or $REGISTA_WORKERS). One of them "
                                 "runs the serving endpoints' model workers; the others forward to it.")
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
        typer.Option("--allow-unauthenticated-remote", help="Allow --no-auth on a non-loopback host: anyone "
                     "who can reach the port is an admin ($REGISTA_ALLOW_UNAUTHENTICATED_REMOTE)."),
    ] = False,
    access_log: Annotated[
        bool | None,
        typer.Option("--access-log/--no-access-log", help="One JSON line per request on stderr: method, path, "
                     "status, duration_ms, principal (default on, or $REGISTA_ACCESS_LOG)."),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="Level of regista's log: DEBUG, INFO, WARNING, ERROR (default INFO, or "
                     "$REGISTA_LOG_LEVEL); the access log writes at INFO."),
    ] = None,
    max_request_body_bytes: Annotated[
        int | None,
        typer.Option(min=1, help="Largest JSON request body accepted, in bytes; larger ones get 413 "
                     "(default 32 MiB, or $REGISTA_MAX_REQUEST_BODY_BYTES). Artifact uploads are not capped."),
    ] = None,
    smtp_url: Annotated[
        str | None,
        typer.Option(help="SMTP server for e-mail notifications ($REGISTA_SMTP_URL): smtp://host:25, "
                     "smtp://user:password@host:587?starttls=true, smtps://host:465. Default: no e-mail."),
    ] = None,
    webhook_allow_private: Annotated[
        bool,
        typer.Option("--webhook-allow-private", help="Let webhooks call loopback, private and link-local "
                     "addresses and plain http:// ($REGISTA_WEBHOOK_ALLOW_PRIVATE); refused by default."),
    ] = False,
    serving_env_manager: Annotated[
        str | None,
        typer.Option(help="Where serving endpoints' models run, as `mlflow models serve --env-manager`: local "
                     "(the server's own Python environment; the default, or $REGISTA_SERVING_ENV_MANAGER), "
                     "virtualenv (venv + pip) or uv: an environment built from each model's own "
                     "python_env.yaml / requirements.txt, cached by hash under the data directory (removed "
                     "when unused for $REGISTA_SERVING_ENV_RETENTION, default 7d)."),
    ] = None,
) -> None:
    """Run the tracking, registry and artifact server.

    The flag names are those of `mlflow server`.
    """
    from regista.server.logs import configure_logging
    from regista.server.settings import SERVING_ENV_MANAGERS, Settings, is_loopback

    overrides = {
        "REGISTA_HOST": host,
        "REGISTA_PORT": None if port is None else str(port),
        "REGISTA_BACKEND_STORE_URI": backend_store_uri,
        "REGISTA_ARTIFACTS_DESTINATION": artifacts_destination,
        "REGISTA_DATA_DIR": data_dir,
        "REGISTA_WORKERS": None if workers is None else str(workers),
        "REGISTA_AUTH": None if auth is None else str(auth).lower(),
        "REGISTA_ALLOW_UNAUTHENTICATED_REMOTE": "true" if allow_unauthenticated_remote else None,
        "REGISTA_ACCESS_LOG": None if access_log is None else str(access_log).lower(),
        "REGISTA_LOG_LEVEL": log_level,
        "REGISTA_MAX_REQUEST_BODY_BYTES": None if max_request_body_bytes is None else str(
            max_request_body_bytes
        ),
        "REGISTA_SMTP_URL": smtp_url,
        "REGISTA_WEBHOOK_ALLOW_PRIVATE": "true" if webhook_allow_private else None,
        "REGISTA_SERVING_ENV_MANAGER": serving_env_manager,
    }
    # Worker processes build their app from the environment (create_app_from_env), so flags travel there.
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = value
    try:
        settings = Settings.from_env()
    except ValueError as err:  # a REGISTA_* variable that is not of its form
        raise fail(str(err)) from None
    if settings.serving_env_manager not in SERVING_ENV_MANAGERS:
        raise fail(f"unknown serving environment manager '{settings.serving_env_manager}': choose one of "
                   f"{', '.join(SERVING_ENV_MANAGERS)} (--serving-env-manager, $REGISTA_SERVING_ENV_MANAGER).")
    if not settings.auth_enabled and not is_loopback(settings.host) and not settings.allow_unauthenticated_remote:
        typer.echo(
            f"error: refusing to listen on {settings.host} without authentication: every caller would be an "
            "admin. Drop --no-auth (and set REGISTA_ADMIN_TOKEN), or pass --allow-unauthenticated-remote.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        configure_logging(settings.log_level)
    except ValueError as err:
        raise fail(str(err)) from None
    _prepare(settings)
    sock = _bind(settings.host, settings.port)
    bound_port = sock.getsockname()[1]
    mode = "authentication on" if settings.auth_enabled else "authentication off: every caller is the admin"
    # Only now, with the socket bound and listening, is the address true: connections made from here on
    # wait in the backlog until the application has started.
    typer.echo(f"regista {__version__} listening on http://{settings.host}:{bound_port} ({mode})", err=True)
    _serve(settings, sock)


def _prepare(settings: Settings) -> None:
    """Check (and migrate) the schema and seed the built-ins once, here: a refusal is one clear line, and
    worker processes only find a current schema."""
    from regista.server.app import EXPERIMENT_ARTIFACT_URI
    from regista.server.db.engine import build_engine
    from regista.server.db.migrate import SchemaError
    from regista.server.db.setup import prepare_database
    from regista.server.identity.services.bootstrap import ensure_builtin_identities

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database_url)
    try:
        prepare_database(engine, EXPERIMENT_ARTIFACT_URI, auto_migrate=settings.auto_migrate)
        ensure_builtin_identities(engine, settings.admin_token)
    except SchemaError as err:
        raise fail(str(err)) from None
    finally:
        engine.dispose()


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, or exit 1 naming the address (e.g. the port is taken)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a restart may rebind at once while old connections sit in TIME_WAIT. (On Linux this
    # never allows two listeners on one port.)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise fail(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def _serve(settings: Settings, sock: socket.socket) -> None:
    """Run uvicorn on the bound socket: in this process, or in `workers` processes sharing it."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "regista.server.app:create_app_from_env",
        factory=True,
        workers=settings.workers,
        # httptools, with the parser's own refusals (e.g. a URL over 64 KiB) in MLflow's JSON envelope.
        http="regista.server.http.protocol:EnvelopeHttpToolsProtocol",
        loop="uvloop",
        # regista's access log (server/api/access_log.py) replaces uvicorn's; uvicorn's own messages go
        # through the JSON handler regista installs, at WARNING.
        access_log=False,
        log_config=None,
        log_level="warning",
        timeout_keep_alive=30,
    )
    if settings.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    if not server.started:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(backend_store_uri: BackendStoreUri = None, data_dir: DataDir = None, create: Create = False) -> None:
    """Apply all pending schema migrations (back up the database first)."""
    from sqlalchemy.exc import OperationalError

    from regista.server.app import EXPERIMENT_ARTIFACT_URI
    from regista.server.db.migrate import SchemaError, upgrade_to_head
    from regista.server.db.setup import prepare_database

    settings, engine = locate_database(backend_store_uri, data_dir, create=create)
    try:
        head = upgrade_to_head(engine)
        prepare_database(engine, EXPERIMENT_ARTIFACT_URI, auto_migrate=False)
    except SchemaError as err:
        raise fail(str(err)) from None
    except OperationalError as err:
        raise fail(f"cannot open the database {describe(settings, backend_store_uri, data_dir)}: "
                   f"{err.orig}") from None
    finally:
        engine.dispose()
    typer.echo(f"database is at the current schema ({head})")


@db_app.command("current")
def db_current(backend_store_uri: BackendStoreUri = None, data_dir: DataDir = None) -> None:
    """Show the database's schema revision and whether it is current, old, or from a newer regista."""
    from sqlalchemy.exc import OperationalError

    from regista.server.db.migrate import HEAD_REVISION, schema_state

    settings, engine = locate_database(backend_store_uri, data_dir, create=False)
    try:
        with engine.connect() as conn:
            state, revision = schema_state(conn)
    except OperationalError as err:
        raise fail(f"cannot open the database {describe(settings, backend_store_uri, data_dir)}: "
                   f"{err.orig}") from None
    finally:
        engine.dispose()
    typer.echo(f"revision: {revision or '-'}  head: {HEAD_REVISION}  state: {state.value}")
    if state.value in ("newer", "unversioned"):
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the regista version (as --version does)."""
    typer.echo(__version__)


# Client-side commands (regista.inference), listed after the server's own.
app.command()(predict)
app.command()(notebook)
app.command()(dispatcher)

if __name__ == "__main__":
    app()
