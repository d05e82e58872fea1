"""Which e-mails an outbox event calls for (run by the dispatcher): auto-follow and the creator's default
level first, then one e-mail per recipient allowed to read the model, within the daily cap."""

from __future__ import annotations

from typing import Any

import orjson

from regista.errors import NotFound, PermissionDenied
from regista.server.context import Context
from regista.server.events.schemas.emails import EMAIL_EVENTS, limit_reached_email, notification_email
from regista.server.events.services.delivery_rows import new_delivery
from regista.server.events.stores import notifications as store
from regista.server.identity.services.principals import principal_of_user
from regista.server.permissions.services import authz
from regista.server.registry.services.model_versions import authorized_model

# Acting on a version makes the actor follow it (Databricks' rule).
_FOLLOWING_EVENTS = frozenset({"comment.created", "transition_request.created", "model_version.transitioned"})
_DAY_MS = 86_400_000


def _may_read(ctx: Context, user: str, model: str) -> bool:
    """Whether `user` may read the model now: nobody is told about what they may not see."""
    if not ctx.settings.auth_enabled:
        return True
    principal = principal_of_user(ctx, user)
    if principal is None:
        return False
    as_user = Context(ctx.uow, principal, ctx.artifacts, ctx.settings)
    try:
        authorized_model(as_user, model, authz.CAN_READ)
    except (NotFound, PermissionDenied):
        return False
    return True


def _remember(ctx: Context, event: Any, data: dict[str, Any]) -> None:
    """The settings events imply: the creator of a model gets ALL_EVENTS, an actor follows the version."""
    if event.event_type == "registered_model.created":
        store.set_level_if_absent(ctx.conn, event.principal, data["name"], store.ALL_EVENTS)
    elif event.event_type in _FOLLOWING_EVENTS and not data.get("system"):
        store.follow(ctx.conn, event.principal, data["name"], int(data["version"]))


def emails_for(ctx: Context, event: Any, data: dict[str, Any], now: int, give_up_at: int) -> list[dict[str, Any]]:
    _remember(ctx, event, data)
    kind = EMAIL_EVENTS.get(event.event_type)
    settings = ctx.settings
    if kind is None or not settings.email_notifications or not settings.smtp_url:
        return []
    model, version = str(data["name"]), int(data["version"])
    out: list[dict[str, Any]] = []
    for user in store.recipients(ctx.conn, model, version):
        if user == event.principal or "@" not in user or not _may_read(ctx, user, model):
            continue
        count = store.bump_count(ctx.conn, user, model, kind, now // _DAY_MS, now)
        if count <= settings.email_daily_limit:
            mail = notification_email(kind, event.principal, data, settings.base_url)
        elif count == settings.email_daily_limit + 1:
            mail = limit_reached_email(kind, data, settings.email_daily_limit, settings.base_url)
        else:
            continue
        out.append(new_delivery("email", kind, orjson.dumps(mail).decode(), now, give_up_at, recipient=user,
                                outbox_event_id=event.id))
    return out
