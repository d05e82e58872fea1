"""Stage transitions of model versions (None, Staging, Production, Archived), with the permission rule and
the activity log.

A direct transition needs a level that may move the version from its current stage to the target
(authz.may_move_versions: CAN_MANAGE_STAGING_VERSIONS only among None, Archived and Staging; production
managers and managers anywhere); everyone else gets PERMISSION_DENIED and may file a transition request.
Every applied transition is an APPLIED_TRANSITION (or, through an approval, APPROVED_REQUEST) activity on
the version; each version archive_existing_versions moves to Archived gets a SYSTEM_TRANSITION activity.
"""

from __future__ import annotations

from typing import Any

from regista.errors import InvalidParameter, PermissionDenied
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.governance.schemas.model_registry import APPLIED_TRANSITION
from regista.server.governance.services import activities
from regista.server.permissions.services import authz
from regista.server.registry.services.model_versions import version_views
from regista.server.registry.services.registry_rules import canonical_stage
from regista.server.registry.services.version_access import governed_version
from regista.server.registry.stores import model_versions as mv_store
from regista.server.registry.stores import registered_models as rm_store

# archive_existing_versions only applies to these targets (as on the OSS server).
ARCHIVING_TARGETS = frozenset({"Staging", "Production"})
MAX_COMMENT_LENGTH = 65535


def validate_comment(comment: str | None, *, required: bool = False) -> None:
    """Comments are optional on transitions (1..65535 characters when given), required on comments."""
    if comment is None or comment == "":
        if required:
            raise InvalidParameter("Missing value for required parameter 'comment'.")
        return
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidParameter(f"Parameter 'comment' is longer than {MAX_COMMENT_LENGTH} characters.")


def transition_denied(ctx: Context, name: str, version: int, from_stage: str, to_stage: str,
                      level: str | None, action: str = "transition") -> PermissionDenied:
    held = level or "no permission"
    # Only a direct transition has an alternative: asking for it.
    hint = "; a transition request can be created instead" if action == "transition" else ""
    return PermissionDenied(
        f"User '{ctx.principal.name}' ({held}) may not {action} Model Version (name={name}, version={version}) "
        f"from {from_stage} to {to_stage}{hint}."
    )


def check_may_move(ctx: Context, name: str, row: Any, target: str, archive_existing: bool,
                   level: str | None, action: str = "transition") -> None:
    """403 unless `level` may move the version to `target` and, with archive_existing_versions, may also
    move the versions currently in `target` to Archived."""
    if not authz.may_move_versions(level, row.current_stage, target):
        raise transition_denied(ctx, name, row.version, row.current_stage, target, level, action)
    if archive_existing and target in ARCHIVING_TARGETS and not authz.may_move_versions(level, target, "Archived"):
        raise transition_denied(ctx, name, row.version, target, "Archived", level, "archive versions of")


def apply_transition(
    ctx: Context,
    name: str,
    rm: Any,
    row: Any,
    target: str,
    archive_existing: bool,
    level: str | None,
    *,
    activity_type: str = APPLIED_TRANSITION,
    comment: str | None = None,
    system_comment: str | None = None,
) -> tuple[Any, Any]:
    """Check, move the (locked) version to `target`, archive the others if asked, and log it all.
    Returns (updated version row, the activity row)."""
    check_may_move(ctx, name, row, target, archive_existing, level)
    now = now_ms()
    archived: list[int] = []
    if archive_existing and target in ARCHIVING_TARGETS:
        archived = mv_store.archive_stage(ctx.conn, rm.id, target, row.version, now)
    previous = row.current_stage
    row = mv_store.update_model_version(
        ctx.conn, rm.id, row.version, {"current_stage": target, "last_updated_time": now}
    )
    rm_store.touch_registered_model(ctx.conn, rm.id, now)
    activity = activities.append(
        ctx, rm.id, row.version, activity_type, now, from_stage=previous, to_stage=target,
        comment=comment or None, system_comment=system_comment,
    )
    activities.append_system_transitions(ctx, rm.id, archived, target, row.version, target, now)
    ctx.record(
        "model_version.transitioned",
        {"name": name, "version": str(row.version), "from_stage": previous, "to_stage": target,
         "archive_existing_versions": archive_existing, "system": False, "comment": comment or None,
         "activity_type": activity_type},
    )
    for other in archived:
        ctx.record(
            "model_version.transitioned",
            {"name": name, "version": str(other), "from_stage": target, "to_stage": "Archived",
             "system": True, "caused_by_version": str(row.version)},
        )
    return row, activity


def transition_version(
    ctx: Context, name: str, version: str, stage: str, archive_existing_versions: bool, comment: str | None
) -> tuple[Any, Any, str]:
    """A direct transition; (model row, new version row, caller's level)."""
    target = canonical_stage(stage)
    validate_comment(comment)
    rm, row, level = governed_version(ctx, name, version, for_update=True)
    row, _ = apply_transition(ctx, name, rm, row, target, archive_existing_versions, level, comment=comment)
    return rm, row, level


def transition_model_version_stage(
    ctx: Context, name: str, version: str, stage: str, archive_existing_versions: bool,
    comment: str | None = None,
) -> dict[str, Any]:
    """The MLflow endpoint: move a version to `stage` (case-insensitive). With archive_existing_versions,
    every other version in that stage moves to Archived, each recorded as a system transition."""
    _, row, _ = transition_version(ctx, name, version, stage, archive_existing_versions, comment)
    return version_views(ctx, [(name, row)])[0]
