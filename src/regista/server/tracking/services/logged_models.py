"""MLflow 3 logged models: create, get, finalize, delete, search, tags and params.

A logged model inherits its experiment's permissions: CAN_READ to get or find it, CAN_EDIT to create,
finalize, delete or tag it and log its params. Searches return only models of readable experiments.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from regista.errors import InvalidParameter
from regista.schemas.numbers import is_ascii_int
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.search.page_cursor import Page, paginate
from regista.server.tracking.schemas.logged_models import logged_model_json
from regista.server.tracking.services.experiments import active_experiment_location
from regista.server.tracking.services.run_names import random_run_name
from regista.server.tracking.services.tracking_validation import (
    MAX_LOGGED_MODEL_NAME_LENGTH,
    MAX_PARAM_VAL_LENGTH,
    MAX_RESULTS_SEARCH,
    parse_experiment_id,
    validate_param,
)
from regista.server.tracking.stores import logged_models as store
from regista.server.tracking.stores.logged_models_filter import (
    logged_models_statement,
    readable_logged_models,
)
from regista.server.validation import MAX_TAG_VAL_LENGTH, validate_length, validate_max_results, validate_tag

STATUSES = (
    "LOGGED_MODEL_STATUS_UNSPECIFIED",
    "LOGGED_MODEL_PENDING",
    "LOGGED_MODEL_READY",
    "LOGGED_MODEL_UPLOAD_FAILED",
)
DEFAULT_MAX_RESULTS = 50


def _clip(value: str, limit: int) -> str:
    return value[:limit]


def models_json(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """LoggedModel objects for `rows` with params, tags and metrics in three queries."""
    params, tags, metrics = store.details_for(ctx.conn, [r.model_id for r in rows])
    return [
        logged_model_json(r, params.get(r.model_id, ()), tags.get(r.model_id, ()), metrics.get(r.model_id, ()))
        for r in rows
    ]


def find_logged_model(ctx: Context, model_id: str) -> Any:
    """The logged model's row or None, without a permission check: for other domains (registration) that
    check read access on its experiment themselves."""
    return store.find_logged_model(ctx.conn, model_id)


def permitted_logged_model(
    ctx: Context, model_id: str | None, required: str, allow_deleted: bool = False
) -> Any:
    """The model's row once the caller holds `required` on its experiment."""
    row = store.find_logged_model(ctx.conn, model_id or "")
    if row is None or (row.lifecycle_stage != "active" and not allow_deleted):
        raise store.not_found(model_id or "")
    authz.require_experiment_level(ctx, row.experiment_id, required, str(row.experiment_id))
    return row


def _pairs(items: Sequence[Any], kind: str) -> list[tuple[str, str]]:
    out = []
    for i, item in enumerate(items):
        if kind == "param":
            validate_param(item.key, item.value, f"params[{i}]")
            out.append((item.key, _clip(item.value, MAX_PARAM_VAL_LENGTH)))
        else:
            validate_tag(item.key, item.value, f"tags[{i}]", value_limit=10**9)
            out.append((item.key, _clip(item.value, MAX_TAG_VAL_LENGTH)))
    return out


def create_logged_model(
    ctx: Context,
    experiment_id: str | None,
    name: str | None,
    model_type: str | None,
    source_run_id: str | None,
    params: Sequence[Any],
    tags: Sequence[Any],
) -> dict[str, Any]:
    """A PENDING model whose files go under <experiment location>/models/<model_id>/artifacts."""
    eid = parse_experiment_id(experiment_id)
    validate_length("name", MAX_LOGGED_MODEL_NAME_LENGTH, name)
    param_pairs, tag_pairs = _pairs(params, "param"), _pairs(tags, "tag")
    location = active_experiment_location(ctx, eid)
    model_id = f"m-{uuid.uuid4().hex}"
    now = now_ms()
    store.insert_logged_model(
        ctx.conn,
        {
            "model_id": model_id,
            "experiment_id": eid,
            "name": name or random_run_name(),
            "artifact_location": f"{location.rstrip('/')}/models/{model_id}/artifacts",
            "creation_timestamp_ms": now,
            "last_updated_timestamp_ms": now,
            "status": "LOGGED_MODEL_PENDING",
            "lifecycle_stage": "active",
            "model_type": model_type or None,
            "source_run_id": source_run_id or None,
        },
    )
    store.set_params(ctx.conn, model_id, param_pairs)
    store.set_tags(ctx.conn, model_id, tag_pairs)
    ctx.record("logged_model.created", {"model_id": model_id, "experiment_id": str(eid)})
    return models_json(ctx, [store.find_logged_model(ctx.conn, model_id)])[0]


def get_logged_model(ctx: Context, model_id: str | None, allow_deleted: bool = False) -> dict[str, Any]:
    return models_json(ctx, [permitted_logged_model(ctx, model_id, CAN_READ, allow_deleted)])[0]


def _status(status: str | int | None) -> str:
    text = "" if status is None else str(status).upper()
    if is_ascii_int(text) and 0 <= int(text) < len(STATUSES):
        text = STATUSES[int(text)]
    if text not in STATUSES[1:]:
        raise InvalidParameter(
            f"Invalid logged model status '{status}'. Valid values are {list(STATUSES[1:])}."
        )
    return text


def finalize_logged_model(ctx: Context, model_id: str | None, status: str | int | None) -> dict[str, Any]:
    """Set the model's status (READY after upload, or UPLOAD_FAILED)."""
    new_status = _status(status)
    row = permitted_logged_model(ctx, model_id, CAN_EDIT)
    store.update_logged_model(ctx.conn, row.model_id, status=new_status, last_updated_timestamp_ms=now_ms())
    ctx.record("logged_model.finalized", {"model_id": row.model_id, "status": new_status})
    return models_json(ctx, [store.find_logged_model(ctx.conn, row.model_id)])[0]


def delete_logged_model(ctx: Context, model_id: str | None) -> None:
    row = permitted_logged_model(ctx, model_id, CAN_EDIT)
    store.update_logged_model(
        ctx.conn, row.model_id, lifecycle_stage="deleted", last_updated_timestamp_ms=now_ms()
    )
    ctx.record("logged_model.deleted", {"model_id": row.model_id})


def set_logged_model_tags(ctx: Context, model_id: str | None, tags: Sequence[Any]) -> None:
    pairs = _pairs(tags, "tag")
    row = permitted_logged_model(ctx, model_id, CAN_EDIT)
    store.set_tags(ctx.conn, row.model_id, pairs)
    store.update_logged_model(ctx.conn, row.model_id, last_updated_timestamp_ms=now_ms())
    ctx.record("logged_model_tag.set", {"model_id": row.model_id, "keys": [k for k, _ in pairs]})


def delete_logged_model_tag(ctx: Context, model_id: str | None, key: str) -> None:
    row = permitted_logged_model(ctx, model_id, CAN_EDIT)
    if store.delete_tag(ctx.conn, row.model_id, key) == 0:
        raise store.tag_not_found(row.model_id, key)
    ctx.record("logged_model_tag.deleted", {"model_id": row.model_id, "key": key})


def log_logged_model_params(ctx: Context, model_id: str | None, params: Sequence[Any]) -> None:
    pairs = _pairs(params, "param")
    row = permitted_logged_model(ctx, model_id, CAN_EDIT)
    store.set_params(ctx.conn, row.model_id, pairs)
    ctx.record("logged_model.params_logged", {"model_id": row.model_id, "keys": [k for k, _ in pairs]})


def search_logged_models(
    ctx: Context,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    datasets: Sequence[Any],
    max_results: int | None,
    order_by: Sequence[Any],
    page_token: str | None,
) -> Page[dict[str, Any]]:
    """One page of active logged models matching the filter in those of the experiments the caller may
    read (an unreadable experiment contributes nothing)."""
    limit = DEFAULT_MAX_RESULTS if max_results is None else max_results
    validate_max_results(limit, MAX_RESULTS_SEARCH)
    eids = [parse_experiment_id(e, "experiment_ids") for e in experiment_ids]
    for d in datasets:
        if not d.dataset_name:
            raise InvalidParameter("Missing value for required parameter 'datasets.dataset_name'.")
    for o in order_by:
        if not o.field_name:
            raise InvalidParameter("Missing value for required parameter 'order_by.field_name'.")
    stmt = logged_models_statement(
        eids,
        filter_string,
        [(d.dataset_name, d.dataset_digest) for d in datasets],
        [(o.field_name, o.ascending, o.dataset_name, o.dataset_digest) for o in order_by],
    )
    grantees = authz.visibility_filter(ctx, authz.EXPERIMENTS)
    if grantees is not None:
        # Models of experiments the caller cannot read are left out inside the query (paging stays right).
        stmt = stmt.where(
            readable_logged_models(ctx.conn.dialect.name, authz.readable_levels(authz.EXPERIMENTS))
        )
    params = None if grantees is None else {"grantees": grantees}
    page = paginate(page_token, limit, lambda offset, n: store.search_logged_models(ctx.conn, stmt, offset, n, params))
    return page.map(lambda rows: models_json(ctx, rows))
