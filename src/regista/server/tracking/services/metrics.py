"""Metrics: log one point, log a batch (metrics, params, tags), and read a metric's history.

Logging needs CAN_EDIT on the run's experiment (and on the experiment of a logged model a metric names,
when that is another one), reading histories (one run's, or the web UI's bulk and sampled reads over
several runs) CAN_READ on each run's experiment (see services/runs.py)."""

from __future__ import annotations

from collections.abc import Sequence
from math import isnan
from typing import Any

from regista.errors import InvalidParameter
from regista.schemas.base import KeyValue
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.search.page_cursor import Page, paginate
from regista.server.tracking.schemas.metrics import MetricIn, metric_history_json, metric_point_json
from regista.server.tracking.services.runs import active_run, clip, permitted_run, write_params, write_tags
from regista.server.tracking.services.tracking_validation import (
    MAX_PARAM_VAL_LENGTH,
    validate_batch_limits,
    validate_metric,
    validate_param,
)
from regista.server.tracking.stores import metric_sampling as sampling_store
from regista.server.tracking.stores import metrics as store
from regista.server.tracking.stores import runs as run_store
from regista.server.validation import MAX_TAG_VAL_LENGTH, is_known_name, validate_tag


def _metric_rows(run_id: str, metrics: Sequence[MetricIn]) -> list[tuple[Any, ...]]:
    """Validated history rows (tuples in store.METRIC_COLUMNS order), identical points logged once."""
    rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for i, m in enumerate(metrics):
        key, value, timestamp = m.key, m.value, m.timestamp
        if value is None or timestamp is None or timestamp < 0 or not is_known_name(key):
            # log-metric validated its one metric already (paths without the prefix); these are log-batch's.
            validate_metric(key, value, timestamp, f"metrics[{i}]")
        # value is not None here: validate_metric refused it. NaN is stored as 0 with is_nan set.
        is_nan = isnan(value)  # type: ignore[arg-type]
        if is_nan:
            value = 0.0
        step = m.step or 0
        row = (
            run_id,
            key,
            step,
            timestamp,
            value,
            is_nan,
            m.model_id or None,
            m.dataset_name or None,
            m.dataset_digest or None,
        )
        rows.setdefault(row[1:6], row)
    return list(rows.values())


def write_metrics(ctx: Context, run: Any, metrics: Sequence[MetricIn]) -> None:
    """Insert history rows, move latest_metrics forward, and attach rows that name a model to it (a model
    of another experiment than the run's needs CAN_EDIT there too)."""
    run_id = run.run_uuid
    rows = _metric_rows(run_id, metrics)
    if not rows:
        return
    store.insert_metrics(ctx.conn, rows)
    # The latest point per key by (step, timestamp, value); the first of equal points wins.
    latest: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        cur = latest.get(row[1])
        if cur is None or row[2:5] > cur[2:5]:
            latest[row[1]] = row
    # latest_metrics columns: run_uuid, key, value, timestamp, step, is_nan
    store.upsert_latest(ctx.conn, [(run_id, r[1], r[4], r[3], r[2], r[5]) for r in latest.values()])
    with_model = [r for r in rows if r[6]]
    if with_model:
        known = store.existing_logged_models(ctx.conn, sorted({r[6] for r in with_model}))
        for experiment_id in sorted(set(known.values()) - {run.experiment_id}):
            authz.require_experiment_level(ctx, experiment_id, CAN_EDIT, str(experiment_id))
        # logged_model_metrics columns: model_id, key, step, timestamp, value, is_nan, run_id, dataset_name,
        # dataset_digest
        store.insert_logged_model_metrics(
            ctx.conn,
            [(r[6], r[1], r[2], r[3], r[4], r[5], run_id, r[7], r[8]) for r in with_model if r[6] in known],
        )


def log_metric(ctx: Context, run_id: str | None, metric: MetricIn) -> None:
    validate_metric(metric.key, metric.value, metric.timestamp)
    row = active_run(ctx, run_id)
    write_metrics(ctx, row, [metric])
    ctx.record("run.metrics_logged", {"run_id": row.run_uuid, "keys": [metric.key]})


def log_batch(
    ctx: Context,
    run_id: str | None,
    metrics: Sequence[MetricIn],
    params: Sequence[KeyValue],
    tags: Sequence[KeyValue],
) -> None:
    """Log up to 1000 metrics and 100 params / tags in bulk statements; identical metric rows are no-ops."""
    validate_batch_limits(len(metrics), len(params), len(tags))
    for i, p in enumerate(params):
        validate_param(p.key, p.value, f"params[{i}]")
    for i, t in enumerate(tags):
        validate_tag(t.key, t.value, f"tags[{i}]", value_limit=10**9)
    keys = [p.key for p in params]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise InvalidParameter(
            f"Duplicate parameter keys have been submitted: {dupes}. Please ensure the request contains "
            "only one param value per param key."
        )
    row = active_run(ctx, run_id)
    write_params(ctx, row.run_uuid, [(str(p.key), clip(str(p.value), MAX_PARAM_VAL_LENGTH)) for p in params])
    write_metrics(ctx, row, metrics)
    write_tags(ctx, row.run_uuid, [(str(t.key), clip(str(t.value), MAX_TAG_VAL_LENGTH)) for t in tags])
    ctx.record(
        "run.batch_logged",
        {"run_id": row.run_uuid, "metrics": len(metrics), "params": len(params), "tags": len(tags)},
    )


def get_metric_history(
    ctx: Context, run_id: str | None, key: str | None, max_results: int | None, page_token: str | None
) -> Page[dict[str, Any]]:
    """History of one metric, ordered by step then timestamp; paged when max_results is given."""
    if not key:
        raise InvalidParameter("Missing value for required parameter 'metric_key'.")
    if max_results is not None and max_results < 1:
        raise InvalidParameter(f"Invalid value {max_results} for parameter 'max_results' supplied.")
    run = permitted_run(ctx, run_id, CAN_READ)
    page = paginate(
        page_token, max_results, lambda offset, n: store.metric_history(ctx.conn, run.run_uuid, key, offset, n)
    )
    return page.map(lambda rows: metric_history_json(run.run_uuid, rows))


# The web UI's bulk reads (MLflow's limits and wording).
MAX_BULK_RUN_IDS = 100
MAX_BULK_HISTORY_RESULTS = 25000
MAX_SAMPLED_RESULTS_PER_RUN = 2500


def _require_readable_runs(ctx: Context, run_ids: Sequence[str]) -> None:
    """CAN_READ on the experiment of every named run; ids that name no run are simply not found later."""
    if ctx.principal.is_admin:
        return
    runs = run_store.runs_by_ids(ctx.conn, list(dict.fromkeys(run_ids)))
    for experiment_id in sorted({r.experiment_id for r in runs.values()}):
        authz.require_experiment_level(ctx, experiment_id, CAN_READ, str(experiment_id))


def get_metric_history_bulk(
    ctx: Context, run_ids: Sequence[str], key: str | None, max_results: int | None
) -> dict[str, Any]:
    """One metric's points over up to 100 runs, ordered by run id, timestamp, step and value."""
    if not run_ids:
        raise InvalidParameter("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > MAX_BULK_RUN_IDS:
        raise InvalidParameter(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_BULK_RUN_IDS} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    if key is None:
        raise InvalidParameter("GetMetricHistoryBulk request must specify a metric_key.")
    limit = MAX_BULK_HISTORY_RESULTS if max_results is None else min(max_results, MAX_BULK_HISTORY_RESULTS)
    if limit < 0:
        raise InvalidParameter(f"Invalid value {max_results} for parameter 'max_results' supplied.")
    _require_readable_runs(ctx, run_ids)
    rows = store.metric_history_bulk(ctx.conn, list(dict.fromkeys(run_ids)), key, limit)
    return {"metrics": [metric_point_json(r.run_uuid, key, r) for r in rows]}


def _step_range(start_step: int | None, end_step: int | None) -> tuple[int, int] | None:
    if start_step is None and end_step is None:
        return None
    if start_step is None or end_step is None:
        raise InvalidParameter("If either start step or end step are specified, both must be specified.")
    if start_step > end_step:
        raise InvalidParameter(
            "end_step must be greater than start_step. "
            f"Found start_step={start_step} and end_step={end_step}."
        )
    return start_step, end_step


def get_metric_history_bulk_interval(
    ctx: Context,
    run_ids: Sequence[str],
    key: str | None,
    start_step: int | None,
    end_step: int | None,
    max_results: int | None,
) -> dict[str, Any]:
    """Up to `max_results` points per run, evenly sampled over the run's history of `key` (always ending
    with its last point), runs in request order."""
    if not run_ids:
        raise InvalidParameter("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > MAX_BULK_RUN_IDS:
        raise InvalidParameter(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_BULK_RUN_IDS} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    if not key:
        raise InvalidParameter("Missing value for required parameter 'metric_key'.")
    limit = MAX_SAMPLED_RESULTS_PER_RUN if max_results is None else max_results
    if not 1 <= limit <= MAX_SAMPLED_RESULTS_PER_RUN:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_SAMPLED_RESULTS_PER_RUN}.")
    steps = _step_range(start_step, end_step)
    unique = list(dict.fromkeys(run_ids))
    _require_readable_runs(ctx, unique)
    sampled = sampling_store.sampled_history(ctx.conn, unique, key, limit, steps)
    return {"metrics": [metric_point_json(run_id, key, r) for run_id in unique for r in sampled.get(run_id, ())]}
