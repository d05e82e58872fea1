"""Stage transitions of model versions (None, Staging, Production, Archived)."""

from __future__ import annotations

from typing import Any

from regista.server.services.context import Context
from regista.server.services.model_versions import get_version_row, version_views
from regista.server.services.registry_rules import canonical_stage, now_ms
from regista.server.stores import model_versions as mv_store
from regista.server.stores import registered_models as rm_store


def transition_model_version_stage(
    ctx: Context, name: str, version: str, stage: str, archive_existing_versions: bool
) -> dict[str, Any]:
    """Move a version to `stage` (case-insensitive). With archive_existing_versions, every other version
    in that stage moves to Archived, each recorded as a system transition."""
    target = canonical_stage(stage)
    rm, row = get_version_row(ctx, name, version, for_update=True)
    now = now_ms()
    archived: list[int] = []
    if archive_existing_versions and target in ("Staging", "Production"):
        archived = mv_store.archive_stage(ctx.conn, rm.id, target, row.version, now)
    previous = row.current_stage
    row = mv_store.update_model_version(
        ctx.conn, rm.id, row.version, {"current_stage": target, "last_updated_time": now}
    )
    rm_store.touch_registered_model(ctx.conn, rm.id, now)
    ctx.record(
        "model_version.transitioned",
        {"name": name, "version": str(row.version), "from_stage": previous, "to_stage": target,
         "archive_existing_versions": archive_existing_versions, "system": False},
    )
    for other in archived:
        ctx.record(
            "model_version.transitioned",
            {"name": name, "version": str(other), "from_stage": target, "to_stage": "Archived",
             "system": True, "caused_by_version": str(row.version)},
        )
    return version_views(ctx, [(name, row)])[0]
