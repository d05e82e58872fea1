"""Evaluation datasets: create, get, delete, search, tags and the experiments a dataset is linked to.

Permissions follow services/access.py. Tags arrive as a JSON object in a string (MLflow's wire format).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from regista.errors import InvalidParameter, NotFound
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.datasets.schemas.views import dataset_json
from regista.server.datasets.services import access
from regista.server.datasets.stores import datasets as store
from regista.server.datasets.stores.datasets_filter import datasets_statement, readable_datasets
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.search.page_cursor import Page, paginate
from regista.server.tracking.services.experiments import find_experiment
from regista.server.tracking.services.tracking_validation import parse_experiment_id
from regista.server.validation import MAX_TAG_VAL_LENGTH, validate_length, validate_max_results, validate_tag

MAX_NAME_LENGTH = 255
MAX_EXPERIMENTS = 1000
MAX_TAGS = 1000
SEARCH_MAX_RESULTS = 1000
MLFLOW_USER = "mlflow.user"


def digest(name: str, last_update_time: int) -> str:
    """Changes whenever the dataset does (MLflow's rule: name and last update time)."""
    return hashlib.sha256(f"{name}:{last_update_time}".encode()).hexdigest()[:8]


def _experiment_ids(values: Sequence[str]) -> list[int]:
    if len(values) > MAX_EXPERIMENTS:
        raise InvalidParameter(f"At most {MAX_EXPERIMENTS} experiment_ids may be given, got {len(values)}.")
    return list(dict.fromkeys(parse_experiment_id(v, "experiment_ids") for v in values))


def _linkable(ctx: Context, experiment_ids: Sequence[int]) -> None:
    """Each experiment exists and the caller may edit it (linking a dataset changes the experiment)."""
    for eid in experiment_ids:
        row = find_experiment(ctx, eid)
        if row is None:
            raise NotFound(f"No Experiment with id={eid}")
        authz.require_experiment_level(ctx, eid, CAN_EDIT, row.name)


def parse_tags(text: str | None, *, required: bool) -> dict[str, str | None]:
    """The tags JSON object as key -> string value (None kept: set_dataset_tags skips those)."""
    if text is None or text == "":
        if required:
            raise InvalidParameter("Missing value for required parameter 'tags'.")
        return {}
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidParameter("Invalid value for 'tags': not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidParameter("Invalid value for 'tags': expected a JSON object of tag keys to values.")
    if len(data) > MAX_TAGS:
        raise InvalidParameter(f"At most {MAX_TAGS} tags may be set at once, got {len(data)}.")
    out: dict[str, str | None] = {}
    for key, value in data.items():
        # MLflow stores str(value) for non-string values; we do too, for scalars only.
        if value is not None and not isinstance(value, str):
            if isinstance(value, (dict, list)):
                raise InvalidParameter(f"Invalid value for tag '{access.echo(key)}': expected a string.")
            value = str(value)
        validate_tag(key, value if value is not None else "", "tags", MAX_TAG_VAL_LENGTH)
        out[key] = value
    return out


def view(ctx: Context, row: Any, experiment_ids: Sequence[int] | None = None) -> dict[str, Any]:
    tags = store.tags_of(ctx.conn, [row.dataset_id]).get(row.dataset_id, {})
    if experiment_ids is None:
        experiment_ids = store.experiment_ids_of(ctx.conn, [row.dataset_id]).get(row.dataset_id, [])
    return dataset_json(row, tags, experiment_ids)


def create_dataset(ctx: Context, name: str | None, experiment_ids: Sequence[str], tags: str | None) -> dict[str, Any]:
    if not name:
        raise InvalidParameter("Missing value for required parameter 'name'.")
    validate_length("name", MAX_NAME_LENGTH, name)
    eids = _experiment_ids(experiment_ids)
    tag_map = {k: v for k, v in parse_tags(tags, required=False).items() if v is not None}
    _linkable(ctx, eids)
    dataset_id = f"d-{uuid.uuid4().hex}"
    now = now_ms()
    user = tag_map.get(MLFLOW_USER)
    store.insert_dataset(
        ctx.conn,
        {
            "dataset_id": dataset_id,
            "name": name,
            "digest": digest(name, now),
            "created_time": now,
            "last_update_time": now,
            "created_by": user[:255] if user else None,
            "last_updated_by": user[:255] if user else None,
            "owner_identity_id": ctx.principal.identity_id,
        },
    )
    store.set_tags(ctx.conn, dataset_id, [(k, v) for k, v in tag_map.items() if v is not None])
    store.link(ctx.conn, dataset_id, eids)
    row = store.find_dataset(ctx.conn, dataset_id)
    return view(ctx, row, eids)


def get_dataset(ctx: Context, dataset_id: str) -> dict[str, Any]:
    row, eids = access.load(ctx, dataset_id, CAN_READ)
    return view(ctx, row, eids)


def delete_dataset(ctx: Context, dataset_id: str) -> None:
    """Deletes the dataset with its tags, links and records; an unknown id is a no-op, as in MLflow."""
    if access.find(ctx, dataset_id) is None:
        return
    access.load(ctx, dataset_id, CAN_EDIT)
    store.delete_dataset(ctx.conn, dataset_id)


def search_datasets(
    ctx: Context,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    max_results: int | None,
    order_by: Sequence[str],
    page_token: str | None,
) -> Page[dict[str, Any]]:
    # 0 is protobuf's unset value: the default, as on the official server.
    max_results = max_results or None
    validate_max_results(max_results, SEARCH_MAX_RESULTS)
    if len(order_by) > 20:
        raise InvalidParameter("At most 20 order_by clauses may be given.")
    stmt = datasets_statement(_experiment_ids(experiment_ids), filter_string or None, order_by)
    grantees = authz.visibility_filter(ctx, authz.EXPERIMENTS)
    params = None
    if grantees is not None:
        # Datasets the caller may not read are left out inside the query, so pages stay full and right.
        stmt = stmt.where(readable_datasets(ctx.conn.dialect.name, authz.readable_levels(authz.EXPERIMENTS)))
        params = {"grantees": grantees, "owner": ctx.principal.identity_id}
    page = paginate(
        page_token, max_results or SEARCH_MAX_RESULTS, lambda offset, n: store.search(ctx.conn, stmt, offset, n, params)
    )

    def views(rows: list[Any]) -> list[dict[str, Any]]:
        ids = [r.dataset_id for r in rows]
        tags, links = store.tags_of(ctx.conn, ids), store.experiment_ids_of(ctx.conn, ids)
        return [dataset_json(r, tags.get(r.dataset_id, {}), links.get(r.dataset_id, [])) for r in rows]

    return page.map(views)


def set_dataset_tags(ctx: Context, dataset_id: str, tags: str | None) -> None:
    """Merge the tags into the dataset's; keys given with a null value are left as they are."""
    tag_map = parse_tags(tags, required=True)
    missing = NotFound(f"Could not find evaluation dataset with ID {access.echo(dataset_id)}")
    access.load(ctx, dataset_id, CAN_EDIT, missing)
    store.set_tags(ctx.conn, dataset_id, [(k, v) for k, v in tag_map.items() if v is not None])


def delete_dataset_tag(ctx: Context, dataset_id: str, key: str) -> None:
    """Idempotent, as in MLflow: an unknown dataset or key is a no-op."""
    validate_length("key", 250, key)
    if access.find(ctx, dataset_id) is None:
        return
    access.load(ctx, dataset_id, CAN_EDIT)
    store.delete_tag(ctx.conn, dataset_id, key)


def get_experiment_ids(ctx: Context, dataset_id: str) -> list[str]:
    _, eids = access.load(ctx, dataset_id, CAN_READ)
    return [str(e) for e in eids]


def _dataset_missing(dataset_id: str) -> NotFound:
    return NotFound(f"Dataset '{access.echo(dataset_id)}' not found")


def add_to_experiments(ctx: Context, dataset_id: str, experiment_ids: Sequence[str]) -> dict[str, Any]:
    """Link the dataset to more experiments (already linked ones are kept as they are)."""
    eids = _experiment_ids(experiment_ids)
    row, linked = access.load(ctx, dataset_id, CAN_EDIT, _dataset_missing(dataset_id))
    new = [e for e in eids if e not in linked]
    _linkable(ctx, new)
    if new:
        store.link(ctx.conn, dataset_id, new)
        store.update_dataset(ctx.conn, dataset_id, last_update_time=now_ms())
        row = store.find_dataset(ctx.conn, dataset_id)
    return view(ctx, row, sorted([*linked, *new]))


def remove_from_experiments(ctx: Context, dataset_id: str, experiment_ids: Sequence[str]) -> dict[str, Any]:
    """Unlink the dataset from experiments; ones it is not linked to are ignored (idempotent)."""
    eids = _experiment_ids(experiment_ids)
    row, linked = access.load(ctx, dataset_id, CAN_EDIT, _dataset_missing(dataset_id))
    gone = [e for e in eids if e in linked]
    if gone:
        store.unlink(ctx.conn, dataset_id, gone)
        store.update_dataset(ctx.conn, dataset_id, last_update_time=now_ms())
        row = store.find_dataset(ctx.conn, dataset_id)
    return view(ctx, row, [e for e in linked if e not in gone])
