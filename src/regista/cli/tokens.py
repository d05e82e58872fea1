"""`regista tokens create|list|revoke` and `regista users create|list`: operator commands that act as the
built-in admin through the same service functions as the API, on the server's database, so the first user
and its token can be made before (or without) calling the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from regista.cli.database import BackendStoreUri, Create, DataDir, admin_context

tokens_app = typer.Typer(help="Personal access tokens.", no_args_is_help=True, rich_markup_mode=None)
users_app = typer.Typer(help="Users.", no_args_is_help=True, rich_markup_mode=None)


def _time(epoch_ms: int) -> str:
    if epoch_ms < 0:
        return "never"
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _table(header: list[str], rows: list[list[str]]) -> None:
    """Left-aligned columns separated by two spaces (tabs would misalign long e-mail addresses)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@tokens_app.command("create")
def create_token(
    user: Annotated[str, typer.Option("--user", help="User name, or a service principal's application id.")],
    lifetime_seconds: Annotated[
        int | None, typer.Option(help="Seconds until the token expires (default: never).")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="A note shown when tokens are listed.")] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
    create: Create = False,
) -> None:
    """Issue a personal access token for an existing user or service principal; prints only the secret."""
    from regista.server.identity.services import tokens

    with admin_context(backend_store_uri, data_dir, create=create) as ctx:
        created = tokens.issue_for(ctx, user, lifetime_seconds, comment)
    typer.echo(created["token_value"])


@tokens_app.command("list")
def list_tokens(
    user: Annotated[
        str | None, typer.Option("--user", help="Only this user's (or service principal's) tokens.")
    ] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """List tokens (id, owner, comment, creation and expiry times, UTC); secrets are never stored."""
    from regista.server.identity.services import tokens

    with admin_context(backend_store_uri, data_dir) as ctx:
        infos = tokens.list_for(ctx, user)
    _table(["TOKEN_ID", "OWNER", "CREATED", "EXPIRES", "COMMENT"],
           [[t["token_id"], t["owner_name"], _time(t["creation_time"]), _time(t["expiry_time"]),
             t.get("comment") or ""] for t in infos])


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `regista tokens list` shows it.")],
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Delete a token: it stops working at once on the process that checks it next (within 2 s everywhere)."""
    from regista.server.identity.services import tokens

    with admin_context(backend_store_uri, data_dir) as ctx:
        tokens.manage_delete(ctx, token_id)
    typer.echo(f"revoked {token_id}")


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="The user name (usually an e-mail address).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user a member of the admins group.")] = False,
    display_name: Annotated[str | None, typer.Option(help="A human-readable name.")] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
    create: Create = False,
) -> None:
    """Create a user (optionally an admin); prints its id."""
    from regista.server.identity.schemas.scim import ComplexValue, UserBody
    from regista.server.identity.services import identities

    with admin_context(backend_store_uri, data_dir, create=create) as ctx:
        groups = [ComplexValue(value=identities.admins_group_id(ctx))] if admin else None
        user = identities.create_user(ctx, UserBody(user_name=name, display_name=display_name, groups=groups))
    typer.echo(user["id"])


@users_app.command("list")
def list_users(backend_store_uri: BackendStoreUri = None, data_dir: DataDir = None) -> None:
    """List users: name, whether active and admin, and their direct groups."""
    from regista.server.identity.services import identities

    with admin_context(backend_store_uri, data_dir) as ctx:
        users = identities.user_summaries(ctx)
    _table(["NAME", "ACTIVE", "ADMIN", "GROUPS"],
           [[u["name"], "yes" if u["active"] else "no", "yes" if u["admin"] else "no", ",".join(u["groups"])]
            for u in users])
