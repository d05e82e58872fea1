"""Comments on model versions.

Anyone who can view the model (CAN_READ or above) may comment, as on Databricks; only the author edits a
comment; the author or a CAN_MANAGE holder deletes it. A new comment also appends a NEW_COMMENT entry,
holding the text as posted, to the version's append-only activity log: later edits and deletions change
the comment, never that entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from regista.errors import PermissionDenied
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.governance.schemas.model_registry import (
    DELETE_COMMENT,
    EDIT_COMMENT,
    NEW_COMMENT,
    comment_json,
)
from regista.server.governance.services import activities
from regista.server.governance.stores import comments as store
from regista.server.permissions.services import authz
from regista.server.registry.services.stages import validate_comment
from regista.server.registry.services.version_access import governed_version


def comment_actions(ctx: Context, level: str | None, author: str) -> list[str]:
    """What the caller may do with a comment (CommentActivityAction values)."""
    if level is None:
        return []
    mine = author == ctx.principal.name
    actions = [EDIT_COMMENT] if mine else []
    if mine or level == authz.CAN_MANAGE:
        actions.append(DELETE_COMMENT)
    return actions


def _comment_for_change(ctx: Context, comment_id: str) -> tuple[Any, str]:
    """The comment (locked) and the caller's level on its model; 404 / 403 (no read access)."""
    row = store.find_comment(ctx.conn, comment_id, for_update=True) if comment_id else None
    if row is None:
        raise store.comment_not_found(comment_id)
    level = authz.require_model_level(ctx, row.registered_model_id, authz.CAN_READ, row.model_name)
    return row, level


def create_comment(ctx: Context, name: str, version: str, comment: str) -> dict[str, Any]:
    validate_comment(comment, required=True)
    rm, row, level = governed_version(ctx, name, version, for_update=True)
    now = now_ms()
    created = store.insert_comment(
        ctx.conn,
        {"id": uuid.uuid4().hex, "registered_model_id": rm.id, "version": row.version,
         "user_id": ctx.principal.name, "comment": comment, "creation_time": now, "last_updated_time": now},
    )
    activities.append(ctx, rm.id, row.version, NEW_COMMENT, now, comment=comment)
    ctx.record("comment.created", {"name": name, "version": str(row.version), "id": created.id, "comment": comment})
    return comment_json(created, comment_actions(ctx, level, created.user_id))


def update_comment(ctx: Context, comment_id: str, comment: str) -> dict[str, Any]:
    validate_comment(comment, required=True)
    row, level = _comment_for_change(ctx, comment_id)
    if row.user_id != ctx.principal.name:
        raise PermissionDenied(f"User '{ctx.principal.name}' may not edit a comment of '{row.user_id}'.")
    updated = store.update_comment(ctx.conn, row.id, comment, now_ms())
    ctx.record(
        "comment.updated",
        {"name": row.model_name, "version": str(row.version), "id": row.id, "comment": comment},
    )
    return comment_json(updated, comment_actions(ctx, level, updated.user_id))


def delete_comment(ctx: Context, comment_id: str) -> None:
    row, level = _comment_for_change(ctx, comment_id)
    if row.user_id != ctx.principal.name and level != authz.CAN_MANAGE:
        raise PermissionDenied(
            f"User '{ctx.principal.name}' may not delete a comment of '{row.user_id}': only its author or a "
            f"user with CAN_MANAGE on registered model '{row.model_name}' can."
        )
    store.delete_comment(ctx.conn, row.id)
    ctx.record("comment.deleted", {"name": row.model_name, "version": str(row.version), "id": row.id})


def list_comments(ctx: Context, name: str, version: str) -> list[dict[str, Any]]:
    """The version's comments, oldest first, each with what the caller may do with it (the web UI's
    activity feed); needs CAN_READ on the model."""
    rm, row, level = governed_version(ctx, name, version)
    return [comment_json(c, comment_actions(ctx, level, c.user_id)) for c in store.comments_of_version(
        ctx.conn, rm.id, row.version)]
