"""The Databricks variants of the model-version endpoints: get-version and transition-stage, answering
with ModelVersionDatabricks (the OSS fields plus the caller's permission level and the open requests)."""

from __future__ import annotations

from typing import Any

from regista.server.context import Context
from regista.server.governance.services.transition_requests import open_request_views
from regista.server.registry.services.model_versions import version_views
from regista.server.registry.services.stages import transition_version
from regista.server.registry.services.version_access import governed_version


def version_view_databricks(ctx: Context, name: str, row: Any, level: str | None) -> dict[str, Any]:
    view = version_views(ctx, [(name, row)])[0]
    if level is not None:
        view["permission_level"] = level
    view["open_requests"] = open_request_views(ctx, row, level)
    return view


def get_model_version_databricks(ctx: Context, name: str, version: str) -> dict[str, Any]:
    _, row, level = governed_version(ctx, name, version)
    return version_view_databricks(ctx, name, row, level)


def transition_stage_databricks(
    ctx: Context, name: str, version: str, stage: str, archive_existing_versions: bool, comment: str | None
) -> dict[str, Any]:
    """A direct transition with an optional comment (recorded on the APPLIED_TRANSITION activity)."""
    _, row, level = transition_version(ctx, name, version, stage, archive_existing_versions, comment)
    return version_view_databricks(ctx, name, row, level)
