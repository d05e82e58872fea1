"""The database a data command (tokens, users, db) works on: resolved exactly as `regista server` resolves
it (same flags, same REGISTA_* variables, same defaults), and never created by accident."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from regista.server.context import Context
    from regista.server.settings import Settings

BackendStoreUri = Annotated[
    str | None,
    typer.Option(help="Database URL, as given to `regista server` (default: $REGISTA_BACKEND_STORE_URI, else "
                 "regista.db in the data directory)."),
]
DataDir = Annotated[
    str | None,
    typer.Option(help="The server's data directory, holding the embedded SQLite database (default: "
                 "$REGISTA_DATA_DIR, else ./regista-data)."),
]
Create = Annotated[
    bool, typer.Option("--create", help="Create the database (and its schema) if it does not exist yet."),
]


def fail(message: str) -> typer.Exit:
    """Print `error: message` on stderr; the caller raises the returned exit (code 1)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def resolve_settings(backend_store_uri: str | None, data_dir: str | None) -> Settings:
    """The settings `regista server` would use with these flags in this environment."""
    from regista.server.settings import Settings

    return Settings.from_env(backend_store_uri=backend_store_uri, data_dir=data_dir)


def _origin(backend_store_uri: str | None, data_dir: str | None) -> str:
    """Where the database location came from, in the words of the flag or variable that set it."""
    if backend_store_uri is not None:
        return "from --backend-store-uri"
    if "REGISTA_BACKEND_STORE_URI" in os.environ:
        return "from $REGISTA_BACKEND_STORE_URI"
    if data_dir is not None:
        return "in --data-dir"
    if "REGISTA_DATA_DIR" in os.environ:
        return "in $REGISTA_DATA_DIR"
    return "in the default data directory ./regista-data, relative to the current folder"


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


_HOW_TO_POINT = ("Point this command at the server's database with --backend-store-uri or --data-dir (the values "
                 "the server was started with), or pass --create to make a new one.")


def locate_database(backend_store_uri: str | None, data_dir: str | None, *, create: bool) -> tuple[Settings, Engine]:
    """The resolved settings and an engine on their database; a SQLite file that does not exist is refused
    (exit 1 naming the path and the flags) unless `create`, so a typo or another folder never makes a new one."""
    from regista.server.db.engine import build_engine

    settings = resolve_settings(backend_store_uri, data_dir)
    path = _sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        if not create:
            raise fail(f"no regista database at {path} ({_origin(backend_store_uri, data_dir)}). {_HOW_TO_POINT}")
        path.parent.mkdir(parents=True, exist_ok=True)
    return settings, build_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)


def describe(settings: Settings, backend_store_uri: str | None, data_dir: str | None) -> str:
    """The database for messages: its file or its URL without the password, and where that came from."""
    path = _sqlite_file(settings.database_url)
    return f"{path or _shown(settings.database_url)} ({_origin(backend_store_uri, data_dir)})"


def open_database(backend_store_uri: str | None, data_dir: str | None, *, create: bool) -> tuple[Settings, Engine]:
    """An engine on the resolved database at the current schema (upgraded when the server would upgrade it).
    A database without regista's schema is refused like a missing file, unless `create`."""
    from sqlalchemy.exc import OperationalError

    from regista.server.db.migrate import SchemaError, SchemaState, ensure_schema, schema_state

    settings, engine = locate_database(backend_store_uri, data_dir, create=create)
    try:
        with engine.connect() as conn:
            state, _ = schema_state(conn)
        if state is SchemaState.EMPTY and not create:
            raise fail(f"the database {describe(settings, backend_store_uri, data_dir)} has no regista schema. "
                       f"{_HOW_TO_POINT}")
        ensure_schema(engine, auto_migrate=settings.auto_migrate)
    except SchemaError as err:
        engine.dispose()
        raise fail(str(err)) from None
    except OperationalError as err:
        engine.dispose()
        raise fail(f"cannot open the database {describe(settings, backend_store_uri, data_dir)}: "
                   f"{err.orig}") from None
    except typer.Exit:
        engine.dispose()
        raise
    return settings, engine


@contextmanager
def admin_context(backend_store_uri: str | None, data_dir: str | None, *, create: bool = False) -> Iterator[Context]:
    """A service Context acting as the built-in admin, in one transaction committed on success.

    Service errors (RegistaError) become `error: <message>` and exit code 1, with nothing changed.
    """
    from regista.errors import RegistaError
    from regista.server.context import Context
    from regista.server.db.unit_of_work import UnitOfWork
    from regista.server.identity.services.bootstrap import ensure_builtin_identities

    settings, engine = open_database(backend_store_uri, data_dir, create=create)
    try:
        builtins = ensure_builtin_identities(engine, None)
        uow = UnitOfWork(engine, write=True)
        # No command here touches artifacts, so no artifact repository is opened (it may be remote).
        ctx = Context(uow, builtins.admin, None, settings)  # type: ignore[arg-type]  # no repository: see above
        try:
            yield ctx
        except RegistaError as err:
            ctx.finish(commit=False)
            raise fail(err.message) from None
        except BaseException:
            ctx.finish(commit=False)
            raise
        ctx.finish(commit=True)
    finally:
        engine.dispose()
