"""Stage-transition requests on model versions: create, list, approve, reject and cancel.

Rules (reference databricks-api.md §1.3, §3.1, §3.4):
- Anyone with CAN_READ may request a stage other than the version's current one; a caller has at most one
  open request per (version, stage) (a second one is RESOURCE_ALREADY_EXISTS).
- Approve and reject need a level that may move the version from its current stage to the requested one
  (authz.may_move_versions). They carry no creator, so they resolve every open request for that version and
  stage (they all asked for the same move); requests for other stages stay open.
- Cancel is for the request's creator or a CAN_MANAGE holder.
- A request to Staging or Production may ask that the versions already there be archived (the web UI's
  checkbox): it is kept with the request and shown as its system comment; the approver still decides.
Each action appends one activity (REQUESTED_TRANSITION, APPROVED_REQUEST, REJECTED_REQUEST,
CANCELLED_REQUEST) and records an outbox event.
"""

from __future__ import annotations

from typing import Any

from regista.errors import AlreadyExists, InvalidParameter, NotFound, PermissionDenied
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.governance.schemas.model_registry import (
    APPROVE_TRANSITION_REQUEST,
    APPROVED_REQUEST,
    CANCEL_TRANSITION_REQUEST,
    CANCELLED_REQUEST,
    REJECT_TRANSITION_REQUEST,
    REJECTED_REQUEST,
    REQUESTED_TRANSITION,
    activity_json,
    archive_wish,
    open_request_json,
    transition_request_json,
)
from regista.server.governance.services import activities
from regista.server.governance.stores import transition_requests as store
from regista.server.permissions.services import authz
from regista.server.registry.services.registry_rules import canonical_stage
from regista.server.registry.services.stages import apply_transition, check_may_move, validate_comment
from regista.server.registry.services.version_access import governed_version


def request_actions(ctx: Context, level: str | None, current_stage: str, to_stage: str, creator: str) -> list[str]:
    """What the caller may do with an open request (ActivityAction values)."""
    actions = []
    if authz.may_move_versions(level, current_stage, to_stage):
        actions += [APPROVE_TRANSITION_REQUEST, REJECT_TRANSITION_REQUEST]
    if level is not None and (creator == ctx.principal.name or level == authz.CAN_MANAGE):
        actions.append(CANCEL_TRANSITION_REQUEST)
    return actions


def open_request_views(ctx: Context, row: Any, level: str | None) -> list[dict[str, Any]]:
    """The version's open requests as Activity objects (oldest first), with the caller's actions."""
    return [
        open_request_json(r, row.current_stage, request_actions(ctx, level, row.current_stage, r.to_stage, r.creator))
        for r in store.open_requests(ctx.conn, row.registered_model_id, row.version)
    ]


def _event(name: str, row: Any, stage: str, comment: str | None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "version": str(row.version), "from_stage": row.current_stage, "to_stage": stage,
            "comment": comment or None, **extra}


# The stages whose current versions a transition can archive.
ARCHIVING_STAGES = ("Staging", "Production")


def create_transition_request(ctx: Context, name: str, version: str, stage: str, comment: str | None,
                              archive_existing_versions: bool = False) -> dict[str, Any]:
    target = canonical_stage(stage)
    archive = archive_existing_versions and target in ARCHIVING_STAGES
    validate_comment(comment)
    rm, row, level = governed_version(ctx, name, version, for_update=True)
    if row.current_stage == target:
        raise InvalidParameter(f"Model Version (name={name}, version={row.version}) is already in stage {target}.")
    creator = ctx.principal.name
    if store.find_request(ctx.conn, rm.id, row.version, target, creator) is not None:
        raise AlreadyExists(
            f"User '{creator}' already has an open request to transition Model Version (name={name}, "
            f"version={row.version}) to {target}."
        )
    now = now_ms()
    request = store.insert_request(
        ctx.conn,
        {"registered_model_id": rm.id, "version": row.version, "to_stage": target, "creator": creator,
         "comment": comment or None, "creation_time": now, "archive_existing_versions": archive},
    )
    activities.append(ctx, rm.id, row.version, REQUESTED_TRANSITION, now, from_stage=row.current_stage,
                      to_stage=target, comment=comment or None, system_comment=archive_wish(target) if archive else None)
    ctx.record("transition_request.created", _event(name, row, target, comment, creator=creator))
    return transition_request_json(request, request_actions(ctx, level, row.current_stage, target, creator))


def archive_requested(request_view: dict[str, Any]) -> bool:
    """Whether an open request (as open_request_views returns it) asks to archive its stage's versions."""
    return bool(request_view.get("system_comment") == archive_wish(request_view["to_stage"]))


def list_transition_requests(ctx: Context, name: str, version: str) -> list[dict[str, Any]]:
    _, row, level = governed_version(ctx, name, version)
    return open_request_views(ctx, row, level)


def _open_for_stage(name: str, row: Any, target: str, rows: list[Any]) -> list[Any]:
    if not rows:
        raise NotFound(
            f"No open request to transition Model Version (name={name}, version={row.version}) to {target}."
        )
    return rows


def approve_transition_request(
    ctx: Context, name: str, version: str, stage: str, archive_existing_versions: bool, comment: str | None
) -> dict[str, Any]:
    """Apply the requested transition (optionally archiving the versions now in that stage) and close
    every open request for it."""
    target = canonical_stage(stage)
    validate_comment(comment)
    rm, row, level = governed_version(ctx, name, version, for_update=True)
    check_may_move(ctx, name, row, target, archive_existing_versions, level, "approve a transition of")
    if row.current_stage == target:
        # Moved there directly since the request was made: approving would log a move that never happens.
        raise InvalidParameter(
            f"Version {row.version} of registered model '{name}' is already in stage {target}; "
            "reject or cancel the request instead."
        )
    requests = _open_for_stage(name, row, target, store.requests_for_stage(ctx.conn, rm.id, row.version, target))
    requesters = [r.creator for r in requests]
    event = _event(name, row, target, comment, requesters=requesters,
                   archive_existing_versions=archive_existing_versions)
    store.delete_requests(ctx.conn, [r.id for r in requests])
    _, activity = apply_transition(
        ctx, name, rm, row, target, archive_existing_versions, level, activity_type=APPROVED_REQUEST,
        comment=comment, system_comment=f"Approved the transition request of {', '.join(requesters)}.",
    )
    ctx.record("transition_request.approved", event)
    return activity_json(activity)


def reject_transition_request(ctx: Context, name: str, version: str, stage: str, comment: str | None) -> dict[str, Any]:
    """Close every open request to move the version to `stage`, without moving it."""
    target = canonical_stage(stage)
    validate_comment(comment)
    rm, row, level = governed_version(ctx, name, version, for_update=True)
    check_may_move(ctx, name, row, target, False, level, "reject a transition of")
    requests = _open_for_stage(name, row, target, store.requests_for_stage(ctx.conn, rm.id, row.version, target))
    requesters = [r.creator for r in requests]
    store.delete_requests(ctx.conn, [r.id for r in requests])
    activity = activities.append(
        ctx, rm.id, row.version, REJECTED_REQUEST, now_ms(), from_stage=row.current_stage, to_stage=target,
        comment=comment or None, system_comment=f"Rejected the transition request of {', '.join(requesters)}.",
    )
    ctx.record("transition_request.rejected", _event(name, row, target, comment, requesters=requesters))
    return activity_json(activity)


def delete_transition_request(
    ctx: Context, name: str, version: str, stage: str, creator: str, comment: str | None
) -> dict[str, Any]:
    """Cancel `creator`'s open request: allowed to the creator and to CAN_MANAGE holders."""
    target = canonical_stage(stage)
    validate_comment(comment)
    if not creator:
        raise InvalidParameter("Missing value for required parameter 'creator'.")
    rm, row, level = governed_version(ctx, name, version, for_update=True)
    if creator != ctx.principal.name and level != authz.CAN_MANAGE:
        raise PermissionDenied(
            f"User '{ctx.principal.name}' may not cancel a transition request of '{creator}': only its creator "
            f"or a user with CAN_MANAGE on registered model '{name}' can."
        )
    request = store.find_request(ctx.conn, rm.id, row.version, target, creator)
    if request is None:
        raise NotFound(
            f"No open request by '{creator}' to transition Model Version (name={name}, version={row.version}) "
            f"to {target}."
        )
    store.delete_requests(ctx.conn, [request.id])
    activity = activities.append(
        ctx, rm.id, row.version, CANCELLED_REQUEST, now_ms(), from_stage=row.current_stage, to_stage=target,
        comment=comment or None,
    )
    ctx.record("transition_request.cancelled", _event(name, row, target, comment, creator=creator))
    return activity_json(activity)
