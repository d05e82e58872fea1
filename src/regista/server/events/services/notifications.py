"""E-mail notification settings: a user's level for a model, their all-off switch. Callers change their own
settings (an admin, e.g. through the CLI, anyone's)."""

from __future__ import annotations

from regista.errors import PermissionDenied
from regista.server.context import Context
from regista.server.events.schemas.notifications import MODEL_LEVELS, USER_LEVELS
from regista.server.events.services.webhook_rules import check_choice
from regista.server.events.stores import notifications as store
from regista.server.permissions.services import authz
from regista.server.registry.services.model_versions import authorized_model, get_version_row


def _user(ctx: Context, user: str | None) -> str:
    if user is None or user == ctx.principal.name:
        return ctx.principal.name
    if not ctx.principal.is_admin:
        raise PermissionDenied(f"User '{ctx.principal.name}' may only change their own notification settings.")
    return user


def set_model_level(ctx: Context, model_name: str, level: str, user: str | None = None) -> str:
    """Set the level (ALL_EVENTS, DEFAULT, UNSUBSCRIBED) for a model the caller may read."""
    name = _user(ctx, user)
    check_choice(level, MODEL_LEVELS, "subscription_type")
    authorized_model(ctx, model_name, authz.CAN_READ)
    store.set_level(ctx.conn, name, model_name, level)
    ctx.record("notification_level.set", {"user": name, "name": model_name, "level": level})
    return level


def get_model_level(ctx: Context, model_name: str, user: str | None = None) -> str:
    """The level for a model (DEFAULT when never set; a model's creator starts at ALL_EVENTS)."""
    name = _user(ctx, user)
    authorized_model(ctx, model_name, authz.CAN_READ)
    return store.find_level(ctx.conn, name, model_name) or store.DEFAULT


def set_user_level(ctx: Context, status: str, user: str | None = None) -> str:
    """Switch every registry e-mail on (SUBSCRIBED) or off (UNSUBSCRIBED) for the user."""
    name = _user(ctx, user)
    check_choice(status, USER_LEVELS, "subscription_type")
    store.set_user_status(ctx.conn, name, status)
    ctx.record("notification_user_level.set", {"user": name, "status": status})
    return status


def get_user_level(ctx: Context, user: str | None = None) -> str:
    return store.find_user_status(ctx.conn, _user(ctx, user)) or store.SUBSCRIBED


def is_following(ctx: Context, model_name: str, version: str) -> bool:
    """Whether the caller follows the version (commented on it, moved its stage or asked to): the version
    page's Follow status."""
    _, mv = get_version_row(ctx, model_name, version, level=authz.CAN_READ)
    return store.follows(ctx.conn, ctx.principal.name, model_name, int(mv.version))
