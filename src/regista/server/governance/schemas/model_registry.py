"""Request messages and response shapes of the Databricks workspace-registry governance endpoints:
transition requests, the Databricks transition-stage and get-version variants, comments and activities
(field names and enum values as in databricks-sdk `service/ml.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from regista.schemas.base import Message

# ActivityType values.
APPLIED_TRANSITION = "APPLIED_TRANSITION"
REQUESTED_TRANSITION = "REQUESTED_TRANSITION"
CANCELLED_REQUEST = "CANCELLED_REQUEST"
APPROVED_REQUEST = "APPROVED_REQUEST"
REJECTED_REQUEST = "REJECTED_REQUEST"
NEW_COMMENT = "NEW_COMMENT"
SYSTEM_TRANSITION = "SYSTEM_TRANSITION"

# ActivityAction / CommentActivityAction values.
APPROVE_TRANSITION_REQUEST = "APPROVE_TRANSITION_REQUEST"
REJECT_TRANSITION_REQUEST = "REJECT_TRANSITION_REQUEST"
CANCEL_TRANSITION_REQUEST = "CANCEL_TRANSITION_REQUEST"
EDIT_COMMENT = "EDIT_COMMENT"
DELETE_COMMENT = "DELETE_COMMENT"


class VersionRef(Message):
    """name + version: list requests, get-activities, Databricks get-version."""

    name: str
    version: str


class CreateTransitionRequest(Message):
    name: str
    version: str
    stage: str
    comment: str | None = None


class DecideTransitionRequest(Message):
    """Reject (and, with archive_existing_versions, approve) the open request(s) for a stage."""

    name: str
    version: str
    stage: str
    comment: str | None = None


class ApproveTransitionRequest(DecideTransitionRequest):
    # Required by the API; a missing value is read as false, as protobuf does.
    archive_existing_versions: bool = False


class DeleteTransitionRequest(Message):
    name: str
    version: str
    stage: str
    creator: str
    comment: str | None = None


class TransitionStageDatabricks(Message):
    name: str
    version: str
    stage: str
    archive_existing_versions: bool = False
    comment: str | None = None


class CreateComment(Message):
    name: str
    version: str
    comment: str


class UpdateComment(Message):
    id: str
    comment: str


class DeleteComment(Message):
    id: str


def activity_json(row: Any, available_actions: Iterable[str] | None = None) -> dict[str, Any]:
    """The wire `Activity` for an activity-log row; unset fields are omitted."""
    out: dict[str, Any] = {
        "id": str(row.id),
        "activity_type": row.activity_type,
        "user_id": row.user_id,
        "creation_timestamp": row.creation_time,
        "last_updated_timestamp": row.last_updated_time,
    }
    for key in ("from_stage", "to_stage", "comment", "system_comment"):
        value = getattr(row, key)
        if value is not None:
            out[key] = value
    if available_actions:
        out["available_actions"] = list(available_actions)
    return out


def archive_wish(stage: str) -> str:
    """The system comment of a request whose requester asked that `stage`'s current versions be archived."""
    return f"Asked to transition the existing {stage} versions to Archived."


def open_request_json(row: Any, from_stage: str, available_actions: Iterable[str]) -> dict[str, Any]:
    """An open transition request as the `Activity` that list and open_requests return: a
    REQUESTED_TRANSITION from the version's current stage, with the caller's available actions. The
    requester's wish to archive the stage's versions travels as the Activity's system comment."""
    out: dict[str, Any] = {
        "id": str(row.id),
        "activity_type": REQUESTED_TRANSITION,
        "from_stage": from_stage,
        "to_stage": row.to_stage,
        "user_id": row.creator,
        "creation_timestamp": row.creation_time,
        "last_updated_timestamp": row.creation_time,
    }
    if row.comment is not None:
        out["comment"] = row.comment
    if row.archive_existing_versions:
        out["system_comment"] = archive_wish(row.to_stage)
    actions = list(available_actions)
    if actions:
        out["available_actions"] = actions
    return out


def transition_request_json(row: Any, available_actions: Iterable[str]) -> dict[str, Any]:
    """The wire `TransitionRequest` (create's response): it has no id, a request is addressed by
    (name, version, stage, creator)."""
    out: dict[str, Any] = {
        "to_stage": row.to_stage,
        "user_id": row.creator,
        "creation_timestamp": row.creation_time,
    }
    if row.comment is not None:
        out["comment"] = row.comment
    if row.archive_existing_versions:
        out["system_comment"] = archive_wish(row.to_stage)
    actions = list(available_actions)
    if actions:
        out["available_actions"] = actions
    return out


def comment_json(row: Any, available_actions: Iterable[str]) -> dict[str, Any]:
    """The wire `CommentObject`."""
    out: dict[str, Any] = {
        "id": row.id,
        "user_id": row.user_id,
        "comment": row.comment,
        "creation_timestamp": row.creation_time,
        "last_updated_timestamp": row.last_updated_time,
    }
    actions = list(available_actions)
    if actions:
        out["available_actions"] = actions
    return out
