"""`regista secrets new-key|rotate`: the keys that encrypt stored secrets (webhook secrets and authorization
values, serving providers' credentials) and their rotation."""

from __future__ import annotations

import typer

from regista.cli.database import BackendStoreUri, DataDir, admin_context, fail

secrets_app = typer.Typer(
    help="Encryption of stored secrets (keys: REGISTA_SECRET_KEYS, or the data folder's secret.key).",
    no_args_is_help=True, rich_markup_mode=None,
)


@secrets_app.command("new-key")
def new_key() -> None:
    """Print a new key. To rotate: put it first in REGISTA_SECRET_KEYS, keep the old key after it, run
    `regista secrets rotate`, then drop the old key."""
    from regista.server.secret_box import new_key as make_key

    typer.echo(make_key())


@secrets_app.command("rotate")
def rotate(backend_store_uri: BackendStoreUri = None, data_dir: DataDir = None) -> None:
    """Re-encrypt every stored secret with the first key of REGISTA_SECRET_KEYS (or the key file), so the
    other keys can be retired. A server also does this at start."""
    from regista.server.secret_box import SecretKeyError
    from regista.server.stored_secrets import reseal_all

    try:
        with admin_context(backend_store_uri, data_dir) as ctx:
            done = reseal_all(ctx)
    except SecretKeyError as err:
        raise fail(str(err)) from None
    typer.echo(f"re-encrypted: {done.webhooks} webhooks, {done.serving_endpoints} serving endpoints")
