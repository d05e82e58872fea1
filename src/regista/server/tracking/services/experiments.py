"""Experiments: create, read, search, rename, delete/restore (with their runs), tags.

Permissions (runs and logged models inherit their experiment's): CAN_READ to see an experiment,
CAN_EDIT to change its tags and everything under it, CAN_MANAGE to rename, delete or restore it.
Creating an experiment is open to every caller, who then manages it. Each check reuses the experiment row
the operation reads anyway, so it costs one indexed grant lookup for non-admins and nothing for admins.
"""

from __future__ import annotations

from typing import Any

from regista.errors import AlreadyExists, InvalidParameter
from regista.server.artifacts.services.artifact_access import experiment_location
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_MANAGE, CAN_READ
from regista.server.search.page_cursor import Page, paginate
from regista.server.storage.uris import to_uri
from regista.server.tracking.schemas.experiments import experiment_json
from regista.server.tracking.services.tracking_validation import (
    MAX_EXPERIMENT_NAME_LENGTH,
    MAX_EXPERIMENT_TAG_VAL_LENGTH,
    MAX_RESULTS_SEARCH,
    parse_experiment_id,
    validate_artifact_location_length,
)
from regista.server.tracking.stores import experiments as store
from regista.server.tracking.stores.experiments_filter import experiment_order_by, experiment_where
from regista.server.validation import validate_max_results, validate_tag

VIEW_TYPES = {"ACTIVE_ONLY": ("active",), "DELETED_ONLY": ("deleted",), "ALL": ("active", "deleted")}
_VIEW_TYPE_NUMBERS = {"1": "ACTIVE_ONLY", "2": "DELETED_ONLY", "3": "ALL"}


def find_experiment(ctx: Context, experiment_id: int) -> Any | None:
    """The experiment's row or None, without a permission check: for other domains (the permissions API
    resolving the object a path names) that check levels themselves."""
    return store.find_experiment(ctx.conn, experiment_id)


def lifecycle_stages(view_type: str | int | None) -> tuple[str, ...]:
    """Lifecycle stages selected by a ViewType (name or proto number); default ACTIVE_ONLY."""
    if view_type is None or view_type == "":
        return VIEW_TYPES["ACTIVE_ONLY"]
    name = _VIEW_TYPE_NUMBERS.get(str(view_type), str(view_type).upper())
    if name not in VIEW_TYPES:
        raise InvalidParameter(f"Invalid view_type '{view_type}'. Valid values are {sorted(VIEW_TYPES)}.")
    return VIEW_TYPES[name]


def _validate_name(name: str | None, param: str = "name") -> str:
    if name is None or name == "":
        # MLflow's server checks the field is present (and not "") before anything else.
        raise InvalidParameter(f"Missing value for required parameter '{param}'.")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameter(
            f"'{param}' exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} characters"
        )
    return name


def _active(ctx: Context, experiment_id: int, required: str) -> Any:
    row = store.get_experiment(ctx.conn, experiment_id)
    authz.require_experiment_level(ctx, experiment_id, required, row.name)
    if row.lifecycle_stage != "active":
        raise InvalidParameter(
            f"The experiment {experiment_id} must be in the 'active' state. "
            f"Current state is {row.lifecycle_stage}."
        )
    return row


def active_experiment_location(ctx: Context, experiment_id: int, required: str = CAN_EDIT) -> str:
    """The artifact location of an active experiment the caller holds `required` on (creating runs and
    logged models in it); 404 when missing, 403 below the level, 400 when deleted."""
    found = store.stage_name_and_location(ctx.conn, experiment_id)
    if found is None:
        raise store.not_found(experiment_id)
    stage, name, location = found
    authz.require_experiment_level(ctx, experiment_id, required, name)
    if stage != "active":
        raise InvalidParameter(
            f"The experiment {experiment_id} must be in the 'active' state. Current state is {stage}."
        )
    return location


def create_experiment(
    ctx: Context, name: str | None, artifact_location: str | None, tags: list[tuple[str, str | None]]
) -> str:
    """Create an experiment; its artifacts default to mlflow-artifacts:/<id>. Returns the new id."""
    name = _validate_name(name)
    validate_artifact_location_length(artifact_location)
    for key, value in tags:
        validate_tag(key, value, value_limit=MAX_EXPERIMENT_TAG_VAL_LENGTH)
    if store.find_experiment_by_name(ctx.conn, name) is not None:
        raise AlreadyExists(f"Experiment(name={name}) already exists.")
    # Checked before anything is written: a refused location leaves no experiment behind.
    location = experiment_location(ctx, artifact_location) if artifact_location else None
    now = now_ms()
    experiment_id = store.insert_experiment(ctx.conn, name, now)
    location = location or to_uri(str(experiment_id))
    store.update_experiment(ctx.conn, experiment_id, artifact_location=location)
    store.set_tags(ctx.conn, experiment_id, [(k, v or "") for k, v in tags])
    authz.grant_creator(ctx, authz.EXPERIMENTS, experiment_id)
    ctx.record("experiment.created", {"experiment_id": str(experiment_id), "name": name})
    return str(experiment_id)


def get_experiment(ctx: Context, experiment_id: str | None) -> dict[str, Any]:
    eid = parse_experiment_id(experiment_id)
    row, tags = store.experiment_with_tags(ctx.conn, experiment_id=eid)
    if row is None:
        raise store.not_found(eid)
    authz.require_experiment_level(ctx, eid, CAN_READ, row.name)
    return experiment_json(row, tags)


def get_experiment_by_name(ctx: Context, name: str | None) -> dict[str, Any]:
    if not name:
        raise InvalidParameter("Missing value for required parameter 'experiment_name'.")
    row, tags = store.experiment_with_tags(ctx.conn, name=name)
    if row is None:
        raise store.not_found_by_name(name)
    authz.require_experiment_level(ctx, row.experiment_id, CAN_READ, row.name)
    return experiment_json(row, tags)


def search_experiments(
    ctx: Context,
    filter_string: str | None,
    order_by: list[str],
    view_type: str | int | None,
    max_results: int | None,
    page_token: str | None,
) -> Page[dict[str, Any]]:
    """One page of the experiments the caller may read, with their tags (two queries). Visibility is part of
    the query, so pages are full and page cursors stay right."""
    limit = 1000 if max_results is None else max_results
    validate_max_results(limit, MAX_RESULTS_SEARCH)
    where = experiment_where(filter_string)
    order = experiment_order_by(order_by)
    stages = lifecycle_stages(view_type)
    grantees = authz.visibility_filter(ctx, authz.EXPERIMENTS)
    levels = authz.readable_levels(authz.EXPERIMENTS)
    page = paginate(
        page_token,
        limit,
        lambda offset, n: store.search_experiments(ctx.conn, stages, where, order, offset, n, grantees, levels),
    )
    return page.map(lambda rows: _experiment_views(ctx, rows))


def _experiment_views(ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    tags = store.tags_for(ctx.conn, [r.experiment_id for r in rows])
    return [experiment_json(r, tags[r.experiment_id]) for r in rows]


def delete_experiment(ctx: Context, experiment_id: str | None) -> None:
    """Soft-delete the experiment and its runs."""
    eid = parse_experiment_id(experiment_id)
    row = store.get_experiment(ctx.conn, eid)
    authz.require_experiment_level(ctx, eid, CAN_MANAGE, row.name)
    now = now_ms()
    store.update_experiment(ctx.conn, eid, lifecycle_stage="deleted", last_update_time=now)
    store.set_runs_lifecycle(ctx.conn, eid, "deleted", now)
    ctx.record("experiment.deleted", {"experiment_id": str(eid)})


def restore_experiment(ctx: Context, experiment_id: str | None) -> None:
    """Restore a deleted experiment and its runs."""
    eid = parse_experiment_id(experiment_id)
    row = store.get_experiment(ctx.conn, eid)
    authz.require_experiment_level(ctx, eid, CAN_MANAGE, row.name)
    if row.lifecycle_stage != "deleted":
        raise InvalidParameter(
            f"Cannot restore an active experiment. Experiment {eid} is in the {row.lifecycle_stage} state."
        )
    store.update_experiment(ctx.conn, eid, lifecycle_stage="active", last_update_time=now_ms())
    store.set_runs_lifecycle(ctx.conn, eid, "active", None)
    ctx.record("experiment.restored", {"experiment_id": str(eid)})


def rename_experiment(ctx: Context, experiment_id: str | None, new_name: str | None) -> None:
    eid = parse_experiment_id(experiment_id)
    name = _validate_name(new_name, "new_name")
    row = store.get_experiment(ctx.conn, eid)
    authz.require_experiment_level(ctx, eid, CAN_MANAGE, row.name)
    if row.lifecycle_stage != "active":
        raise InvalidParameter("Cannot rename a non-active experiment.")
    other = store.find_experiment_by_name(ctx.conn, name)
    if other is not None and other.experiment_id != eid:
        raise AlreadyExists(f"Experiment(name={name}) already exists.")
    store.update_experiment(ctx.conn, eid, name=name, last_update_time=now_ms())
    ctx.record("experiment.renamed", {"experiment_id": str(eid), "name": name})


def set_experiment_tag(ctx: Context, experiment_id: str | None, key: str | None, value: str | None) -> None:
    eid = parse_experiment_id(experiment_id)
    validate_tag(key, value, value_limit=MAX_EXPERIMENT_TAG_VAL_LENGTH)
    _active(ctx, eid, CAN_EDIT)
    assert key is not None and value is not None
    store.set_tags(ctx.conn, eid, [(key, value)])
    store.update_experiment(ctx.conn, eid, last_update_time=now_ms())
    ctx.record("experiment_tag.set", {"experiment_id": str(eid), "key": key, "value": value})


def delete_experiment_tag(ctx: Context, experiment_id: str | None, key: str | None) -> None:
    eid = parse_experiment_id(experiment_id)
    if not key:
        raise InvalidParameter("Missing value for required parameter 'key'.")
    _active(ctx, eid, CAN_EDIT)
    if store.delete_tag(ctx.conn, eid, key) == 0:
        raise store.tag_not_found(eid, key)
    ctx.record("experiment_tag.deleted", {"experiment_id": str(eid), "key": key})


def list_experiments(
    ctx: Context, view_type: str | int | None, max_results: int | None, page_token: str | None
) -> Page[dict[str, Any]]:
    """The Databricks / MLflow 1.x experiments/list: a search without filter, in search's default order."""
    return search_experiments(ctx, None, [], view_type, max_results, page_token)
