"""The append-only activity log of a model version: entries for every applied, requested, approved,
rejected, cancelled and system transition and every new comment, and the feed the Databricks UI reads.

Entries are only ever appended; nothing here (or in stores/activities.py) updates or deletes them. They
disappear only with their version (foreign-key cascade).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.server.context import Context
from regista.server.governance.schemas.model_registry import SYSTEM_TRANSITION, activity_json
from regista.server.governance.stores import activities as store
from regista.server.registry.services.version_access import governed_version


def append(
    ctx: Context,
    rm_id: int,
    version: int,
    activity_type: str,
    now: int,
    *,
    from_stage: str | None = None,
    to_stage: str | None = None,
    comment: str | None = None,
    system_comment: str | None = None,
) -> Any:
    """Append one entry made by the caller; returns its row."""
    return store.insert_activity(
        ctx.conn,
        {
            "registered_model_id": rm_id, "version": version, "activity_type": activity_type,
            "from_stage": from_stage, "to_stage": to_stage, "user_id": ctx.principal.name,
            "comment": comment, "system_comment": system_comment,
            "creation_time": now, "last_updated_time": now,
        },
    )


def append_system_transitions(
    ctx: Context, rm_id: int, versions: Sequence[int], from_stage: str, caused_by: int, to_stage: str, now: int
) -> None:
    """One SYSTEM_TRANSITION entry on each version that archive_existing_versions moved to Archived,
    saying which version's transition caused it (one statement for all of them)."""
    note = (
        f"Archived automatically: version {caused_by} was transitioned to {to_stage} "
        "with archive_existing_versions."
    )
    store.insert_activities(
        ctx.conn,
        [
            {
                "registered_model_id": rm_id, "version": v, "activity_type": SYSTEM_TRANSITION,
                "from_stage": from_stage, "to_stage": "Archived", "user_id": ctx.principal.name,
                "comment": None, "system_comment": note, "creation_time": now, "last_updated_time": now,
            }
            for v in versions
        ],
    )


def get_activities(ctx: Context, name: str, version: str) -> list[dict[str, Any]]:
    """The version's whole log, oldest first; needs CAN_READ on the model."""
    rm, row, _ = governed_version(ctx, name, version)
    return [activity_json(a) for a in store.activities_of_version(ctx.conn, rm.id, row.version)]
