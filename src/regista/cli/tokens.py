"""`regista tokens create` and `regista users create`: operator commands that work on the database directly,
so the first user and its token can be made before (or without) calling the API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

tokens_app = typer.Typer(help="Personal access tokens.", no_args_is_help=True)
users_app = typer.Typer(help="Users.", no_args_is_help=True)

BackendStoreUri = Annotated[
    str | None, typer.Option(help="Database URL (default: the embedded SQLite database in the data directory).")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _ready_engine(backend_store_uri: str | None) -> tuple[Any, Any]:
    """An engine on a current schema with the built-in identities, and those built-ins."""
    from regista.server.db.engine import build_engine
    from regista.server.db.migrate import SchemaError, ensure_schema
    from regista.server.services.bootstrap import ensure_builtin_identities
    from regista.server.settings import Settings

    settings = Settings.from_env(backend_store_uri=backend_store_uri)
    if settings.backend_store_uri is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)
    try:
        # Only the schema: the server adds the rest (the Default experiment) when it starts. Importing the
        # app for that would double this command's start-up time.
        ensure_schema(engine, auto_migrate=settings.auto_migrate)
        builtins = ensure_builtin_identities(engine, None)
    except SchemaError as err:
        engine.dispose()
        raise _fail(str(err)) from None
    return engine, builtins


@tokens_app.command("create")
def create_token(
    user: Annotated[str, typer.Option("--user", help="User name, or a service principal's application id.")],
    lifetime_seconds: Annotated[
        int | None, typer.Option(help="Seconds until the token expires (default: never).")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="A note shown when tokens are listed.")] = None,
    backend_store_uri: BackendStoreUri = None,
) -> None:
    """Issue a personal access token for an existing user or service principal; prints only the secret."""
    from regista.errors import RegistaError
    from regista.server.events.outbox import record_event
    from regista.server.services.identities import find_principal
    from regista.server.services.tokens import issue_token

    engine, builtins = _ready_engine(backend_store_uri)
    try:
        with engine.begin() as conn:
            owner = find_principal(conn, user)
            if owner is None:
                raise _fail(f"no user or service principal named {user!r} (create it first, e.g. "
                            f"`regista users create {user}`).")
            if not owner.active:
                raise _fail(f"{user!r} is deactivated.")
            try:
                secret, info = issue_token(conn, int(owner.id), lifetime_seconds=lifetime_seconds, comment=comment,
                                           created_by_id=builtins.admin.identity_id)
            except RegistaError as err:
                raise _fail(err.message) from None
            record_event(conn, builtins.admin, "token.created",
                         {"token_id": info["token_id"], "owner_id": int(owner.id), "via": "cli"})
    finally:
        engine.dispose()
    typer.echo(secret)


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="The user name (usually an e-mail address).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user a member of the admins group.")] = False,
    display_name: Annotated[str | None, typer.Option(help="A human-readable name.")] = None,
    backend_store_uri: BackendStoreUri = None,
) -> None:
    """Create a user (optionally an admin); prints its id."""
    from regista.server.events.outbox import record_event
    from regista.server.services.authentication import now_ms
    from regista.server.stores import identities

    if not name.strip():
        raise _fail("the user name must not be empty.")
    engine, builtins = _ready_engine(backend_store_uri)
    try:
        with engine.begin() as conn:
            if identities.find_by_name(conn, identities.USER, name) is not None:
                raise _fail(f"a user named {name!r} already exists.")
            user_id = identities.insert_identity(conn, identities.USER, name, display_name=display_name,
                                                 creation_time=now_ms())
            if admin:
                identities.add_member(conn, builtins.admins_group_id, user_id)
            record_event(conn, builtins.admin, "identity.created",
                         {"kind": identities.USER, "id": user_id, "name": name, "via": "cli"})
    finally:
        engine.dispose()
    typer.echo(user_id)
