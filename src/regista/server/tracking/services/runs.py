"""Runs: create, read (as MLflow Run objects), update, delete/restore, params and tags.

A run has no permissions of its own: reading it needs CAN_READ on its experiment, everything that changes
it (including delete and restore) CAN_EDIT. The experiment id comes from the run row each operation reads
anyway, so the check is one indexed grant lookup for non-admins.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from regista.errors import InvalidParameter
from regista.schemas.numbers import is_ascii_int
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.tracking.schemas.metrics import metric_value_json
from regista.server.tracking.schemas.runs import run_info_json, run_json
from regista.server.tracking.services.experiments import active_experiment_location
from regista.server.tracking.services.run_names import random_run_name
from regista.server.tracking.services.tracking_validation import (
    MAX_PARAM_VAL_LENGTH,
    MAX_RUN_NAME_LENGTH,
    MAX_RUN_USER_ID_LENGTH,
    parse_experiment_id,
    validate_param,
)
from regista.server.tracking.stores import runs as store
from regista.server.tracking.stores.runs import DATASET_INPUT, METRIC, PARAM, TAG
from regista.server.validation import MAX_TAG_VAL_LENGTH, validate_length, validate_tag

RUN_NAME_TAG = "mlflow.runName"
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
_INFINITIES = frozenset((float("inf"), float("-inf")))


def find_run(ctx: Context, run_id: str) -> Any:
    """The run's row or None, without a permission check: for other domains (registration) that check
    read access on the run's experiment themselves."""
    return store.find_run(ctx.conn, run_id)


def require_run_id(run_id: str | None) -> str:
    if not run_id:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    return run_id


def permitted_run(ctx: Context, run_id: str | None, required: str) -> Any:
    """The run's row (deleted or not), once the caller is known to hold `required` on its experiment."""
    row = store.get_run(ctx.conn, require_run_id(run_id))
    authz.require_experiment_level(ctx, row.experiment_id, required, str(row.experiment_id))
    return row


def active_run(ctx: Context, run_id: str | None, required: str = CAN_EDIT) -> Any:
    """The run's row for a change (CAN_EDIT on its experiment); writes to a deleted run are refused as
    MLflow does."""
    row = permitted_run(ctx, run_id, required)
    if row.lifecycle_stage != "active":
        raise InvalidParameter(
            f"The run {row.run_uuid} must be in the 'active' state. Current state is {row.lifecycle_stage}."
        )
    return row


def clip(value: str, limit: int) -> str:
    """MLflow's server truncates over-long param and tag values (MLFLOW_TRUNCATE_LONG_VALUES, on by default)."""
    return value if len(value) <= limit else value[:limit]


# ---------------------------------------------------------------------------------------------- reading


def runs_json(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Full Run objects for `rows` in one query whatever their number (no per-run queries)."""
    ids = [r.run_uuid for r in rows]
    # Per run: metrics, params, tags, model inputs (position, id), model outputs (step, id),
    # dataset inputs (position, JSON).
    parts: dict[str, tuple[list[Any], ...]] = {rid: ([], [], [], [], [], []) for rid in ids}
    current, metrics = None, []
    for rid, kind, key, text, value, n1, n2, is_nan in store.details_for(ctx.conn, ids):
        if kind == METRIC:
            if rid != current:  # a run's rows usually arrive together
                current, metrics = rid, parts[rid][0]
            # Only NaN / +-Infinity need the string spelling; skip the call for finite values.
            if is_nan or value in _INFINITIES:
                value = metric_value_json(value, is_nan)
            metrics.append({"key": key, "value": value, "timestamp": n1, "step": n2})
        elif kind == PARAM or kind == TAG:
            parts[rid][kind].append({"key": key, "value": text})
        else:  # model inputs / outputs and dataset inputs: (position or step, id or JSON), sorted below
            parts[rid][kind].append((n1, key if kind != DATASET_INPUT else text))
    out = []
    for row in rows:
        _metrics, params, tags, model_inputs, model_outputs, datasets = parts[row.run_uuid]
        for extra in (model_inputs, model_outputs, datasets):
            if len(extra) > 1:
                extra.sort()
        out.append(run_json(row, _metrics, params, tags, model_inputs, model_outputs, datasets))
    return out


def get_run(ctx: Context, run_id: str | None) -> dict[str, Any]:
    """The run, deleted or not."""
    row = permitted_run(ctx, run_id, CAN_READ)
    return runs_json(ctx, [row])[0]


# ---------------------------------------------------------------------------------------------- writing


def create_run(
    ctx: Context,
    experiment_id: str | None,
    user_id: str | None,
    run_name: str | None,
    start_time: int | None,
    tags: list[tuple[str | None, str | None]],
) -> dict[str, Any]:
    """Create a RUNNING run; its name lives in run_name and in the mlflow.runName tag."""
    eid = parse_experiment_id(experiment_id if experiment_id not in (None, "") else "0")
    for i, (key, value) in enumerate(tags):
        validate_tag(key, value, f"tags[{i}]", value_limit=10**9)
    clean = [(str(k), clip(str(v), MAX_TAG_VAL_LENGTH)) for k, v in tags]
    location = active_experiment_location(ctx, eid)
    tag_name = dict(clean).get(RUN_NAME_TAG)
    if run_name and tag_name and run_name != tag_name:
        raise InvalidParameter(
            f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values "
            f"(run_name='{run_name}', mlflow.runName='{tag_name}')."
        )
    name = run_name or tag_name or random_run_name()
    validate_length("run_name", MAX_RUN_NAME_LENGTH, name)
    validate_length("user_id", MAX_RUN_USER_ID_LENGTH, user_id)
    if tag_name is None:
        clean.append((RUN_NAME_TAG, name))
    run_id = uuid.uuid4().hex
    values = {
        "run_uuid": run_id,
        "name": name,
        "experiment_id": eid,
        "user_id": user_id or "",
        "status": "RUNNING",
        "start_time": start_time if start_time is not None else now_ms(),
        "end_time": None,
        "lifecycle_stage": "active",
        "artifact_uri": f"{location.rstrip('/')}/{run_id}/artifacts",
    }
    store.insert_run(ctx.conn, values)
    final_tags = dict(clean)
    store.set_tags(ctx.conn, run_id, list(final_tags.items()))
    ctx.record("run.created", {"run_id": run_id, "experiment_id": str(eid)})
    # A new run holds exactly what was just written: answer without reading it back.
    return {
        "info": run_info_json(SimpleNamespace(**values)),
        "data": {
            "metrics": [],
            "params": [],
            "tags": [{"key": k, "value": v} for k, v in final_tags.items()],
        },
        "inputs": {"dataset_inputs": [], "model_inputs": []},
        "outputs": {"model_outputs": []},
    }


def _status(status: str | int | None) -> str | None:
    if status is None or status == "":
        return None
    text = str(status).upper()
    if is_ascii_int(text) and 1 <= int(text) <= len(RUN_STATUSES):
        return RUN_STATUSES[int(text) - 1]
    if text not in RUN_STATUSES:
        raise InvalidParameter(f"Invalid run status '{status}'. Valid values are {list(RUN_STATUSES)}.")
    return text


def update_run(
    ctx: Context, run_id: str | None, status: str | int | None, end_time: int | None, run_name: str | None
) -> dict[str, Any]:
    """Set status / end_time / name of an active run; returns its RunInfo."""
    row = active_run(ctx, run_id)
    values: dict[str, Any] = {}
    new_status = _status(status)
    if new_status is not None:
        values["status"] = new_status
    if end_time is not None:
        values["end_time"] = end_time
    if run_name:
        validate_length("run_name", MAX_RUN_NAME_LENGTH, run_name)
        values["name"] = run_name
        store.set_tags(ctx.conn, row.run_uuid, [(RUN_NAME_TAG, run_name)])
    if values:
        store.update_run(ctx.conn, row.run_uuid, **values)
    ctx.record("run.updated", {"run_id": row.run_uuid, **values})
    return run_info_json(SimpleNamespace(**{**row._asdict(), **values}))


def delete_run(ctx: Context, run_id: str | None) -> None:
    row = permitted_run(ctx, run_id, CAN_EDIT)
    store.update_run(ctx.conn, row.run_uuid, lifecycle_stage="deleted", deleted_time=now_ms())
    ctx.record("run.deleted", {"run_id": row.run_uuid})


def restore_run(ctx: Context, run_id: str | None) -> None:
    row = permitted_run(ctx, run_id, CAN_EDIT)
    store.update_run(ctx.conn, row.run_uuid, lifecycle_stage="active", deleted_time=None)
    ctx.record("run.restored", {"run_id": row.run_uuid})


def write_params(ctx: Context, run_id: str, params: Sequence[tuple[str, str]]) -> None:
    """Insert params; re-logging the same value is fine, a different value for a key is a 400."""
    if not params:
        return
    existing = store.existing_params(ctx.conn, run_id, [k for k, _ in params])
    changed = [(k, existing[k], v) for k, v in params if k in existing and existing[k] != v]
    if changed:
        if len(params) == 1:
            key, old, new = changed[0]
            raise InvalidParameter(
                f"Changing param values is not allowed. Param with key='{key}' was already logged with "
                f"value='{old}' for run ID='{run_id}'. Attempted logging new value '{new}'."
            )
        raise InvalidParameter(
            "Changing param values is not allowed. Params were already logged='"
            f"{[{'key': k, 'old_value': o, 'new_value': n} for k, o, n in changed]}' for run ID='{run_id}'."
        )
    store.insert_params(ctx.conn, run_id, [(k, v) for k, v in params if k not in existing])


def log_param(ctx: Context, run_id: str | None, key: str | None, value: str | None) -> None:
    validate_param(key, value)
    row = active_run(ctx, run_id)
    assert key is not None and value is not None
    write_params(ctx, row.run_uuid, [(key, clip(value, MAX_PARAM_VAL_LENGTH))])
    ctx.record("run.params_logged", {"run_id": row.run_uuid, "keys": [key]})


def write_tags(ctx: Context, run_id: str, tags: Sequence[tuple[str, str]]) -> None:
    store.set_tags(ctx.conn, run_id, tags)
    names = [v for k, v in tags if k == RUN_NAME_TAG]
    if names:
        validate_length("run_name", MAX_RUN_NAME_LENGTH, names[-1])
        store.update_run(ctx.conn, run_id, name=names[-1])


def set_tag(ctx: Context, run_id: str | None, key: str | None, value: str | None) -> None:
    validate_tag(key, value, value_limit=10**9)
    row = active_run(ctx, run_id)
    assert key is not None and value is not None
    write_tags(ctx, row.run_uuid, [(key, clip(value, MAX_TAG_VAL_LENGTH))])
    ctx.record("run_tag.set", {"run_id": row.run_uuid, "key": key})


def delete_tag(ctx: Context, run_id: str | None, key: str | None) -> None:
    if not key:
        raise InvalidParameter("Missing value for required parameter 'key'.")
    row = active_run(ctx, run_id)
    if store.delete_tag(ctx.conn, row.run_uuid, key) == 0:
        raise store.tag_not_found(row.run_uuid, key)
    ctx.record("run_tag.deleted", {"run_id": row.run_uuid, "key": key})
