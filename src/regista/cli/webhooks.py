"""`regista webhooks deliveries ...` (the delivery log: list, show, replay) and `regista notifications ...`
(e-mail notification settings of a user)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import orjson
import typer

from regista.cli.database import BackendStoreUri, DataDir, admin_context
from regista.cli.tokens import _table

webhooks_app = typer.Typer(help="Webhooks and their deliveries.", no_args_is_help=True, rich_markup_mode=None)
deliveries_app = typer.Typer(help="The delivery log of webhooks and e-mails.", no_args_is_help=True,
                             rich_markup_mode=None)
webhooks_app.add_typer(deliveries_app, name="deliveries")
notifications_app = typer.Typer(help="E-mail notification settings.", no_args_is_help=True, rich_markup_mode=None)

WebhookId = Annotated[str | None, typer.Option("--webhook-id", help="Only this webhook's deliveries.")]
State = Annotated[str | None, typer.Option("--state", help="PENDING, SUCCEEDED or FAILED.")]
Event = Annotated[str | None, typer.Option("--event", help="Only this event (e.g. MODEL_VERSION_CREATED).")]


def _time(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@deliveries_app.command("list")
def list_deliveries(
    webhook_id: WebhookId = None,
    state: State = None,
    event: Event = None,
    channel: Annotated[str | None, typer.Option("--channel", help="webhook or email.")] = None,
    max_results: Annotated[int, typer.Option("--max-results", min=1, max=1000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line, attempts included.")] = False,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """List deliveries, newest first: state, attempts, last response code, latency and error."""
    from regista.server.events.services import deliveries

    with admin_context(backend_store_uri, data_dir) as ctx:
        page = deliveries.list_deliveries(ctx, webhook_id=webhook_id, state=state, event=event, channel=channel,
                                          max_results=max_results)
    items = page["deliveries"]
    if as_json:
        for item in items:
            typer.echo(orjson.dumps(item).decode())
        return
    _table(["ID", "STATE", "ATTEMPTS", "EVENT", "TARGET", "CODE", "LATENCY_MS", "CREATED", "ERROR"],
           [[d["id"], d["state"], str(d["attempts"]), d["event"], d.get("webhook_id") or d.get("recipient", ""),
             str(d.get("last_status_code", "")), str(d.get("last_latency_ms", "")), _time(d["created_at"]),
             d.get("last_error", "")] for d in items])


@deliveries_app.command("show")
def show_delivery(
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id, as `list` shows it.")],
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """One delivery as JSON: its payload and every attempt."""
    from regista.server.events.services import deliveries

    with admin_context(backend_store_uri, data_dir) as ctx:
        view = deliveries.get_delivery(ctx, delivery_id)
    typer.echo(orjson.dumps(view, option=orjson.OPT_INDENT_2).decode())


@deliveries_app.command("replay")
def replay_deliveries(
    ids: Annotated[list[int] | None, typer.Argument(help="Delivery ids; or use the filters.")] = None,
    webhook_id: WebhookId = None,
    state: State = None,
    event: Event = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Send deliveries again (a running server's dispatcher picks them up at once)."""
    from regista.server.events.services import deliveries

    with admin_context(backend_store_uri, data_dir) as ctx:
        count = deliveries.replay(ctx, ids=ids or None, webhook_id=webhook_id, state=state, event=event)
    typer.echo(f"replaying {count} deliveries")


@notifications_app.command("set")
def set_notifications(
    user: Annotated[str, typer.Option("--user", help="The user's name (their e-mail address).")],
    model: Annotated[str | None, typer.Option("--model", help="A registered model (with --level).")] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="For --model: ALL_EVENTS, DEFAULT or UNSUBSCRIBED.")
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--on/--off", help="Switch all of the user's registry e-mails on or off.")
    ] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Change a user's notification settings: a model's level, and/or their all-off switch."""
    from regista.server.events.services import notifications

    if (model is None) != (level is None) or (model is None and enabled is None):
        raise typer.BadParameter("give --model with --level, and/or --on/--off")
    with admin_context(backend_store_uri, data_dir) as ctx:
        if model is not None and level is not None:
            notifications.set_model_level(ctx, model, level, user)
        if enabled is not None:
            notifications.set_user_level(ctx, "SUBSCRIBED" if enabled else "UNSUBSCRIBED", user)
    typer.echo("ok")


@notifications_app.command("show")
def show_notifications(
    user: Annotated[str, typer.Option("--user", help="The user's name.")],
    model: Annotated[str | None, typer.Option("--model", help="Also this model's level.")] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """A user's switch and, with --model, their level for that model."""
    from regista.server.events.services import notifications

    with admin_context(backend_store_uri, data_dir) as ctx:
        typer.echo(f"user: {notifications.get_user_level(ctx, user)}")
        if model is not None:
            typer.echo(f"{model}: {notifications.get_model_level(ctx, model, user)}")
