"""search_runs: MLflow's filter grammar, order_by and offset page cursors, in one SQL query plus a fixed
number of batched reads for the page's params, tags, latest metrics and inputs.

Only runs of experiments the caller may read are returned: a requested experiment the caller cannot read
contributes no runs (no error, as MLflow's own auth plugin filters), decided inside the query so paging
stays right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.search.page_cursor import Page, decode_cursor, paginate
from regista.server.tracking.schemas.metrics import metric_value_json
from regista.server.tracking.schemas.runs import run_info_json
from regista.server.tracking.services.experiments import lifecycle_stages
from regista.server.tracking.services.runs import runs_json
from regista.server.tracking.services.tracking_validation import MAX_RESULTS_SEARCH, parse_experiment_id
from regista.server.tracking.stores import run_columns as columns_store
from regista.server.tracking.stores import runs as store
from regista.server.tracking.stores.runs_filter import runs_search_statement
from regista.server.validation import validate_max_results

DEFAULT_MAX_RESULTS = 1000
# Batched reads bind one parameter per run id; stay well under SQLite's host-parameter limit.
_ID_CHUNK = 5000


def search_runs(
    ctx: Context,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    run_view_type: str | int | None,
    max_results: int | None,
    order_by: Sequence[str],
    page_token: str | None,
) -> Page[dict[str, Any]] | None:
    """One page of runs matching the filter in the given experiments, and the cursor of the next page."""
    page = _search_rows(ctx, experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
    return None if page is None else page.map(lambda rows: _run_views(ctx, rows))


def search_run_columns(
    ctx: Context,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str],
    page_token: str | None,
    choose: Callable[[list[str], list[str]], tuple[list[str], list[str]]],
    tag_keys: Sequence[str] = (),
) -> RunColumnsPage | None:
    """A page of active runs for a table of chosen columns (the web UI's runs table): the same search as
    search_runs, but each run carries only the values of the metric and parameter keys that `choose`
    picks from the page's sorted keys (metric keys, param keys) -> (metrics shown, params shown), and of
    `tag_keys`. Reads a fixed number of small queries instead of every value of every run."""
    page = _search_rows(ctx, experiment_ids, filter_string, None, max_results, order_by, page_token)
    if page is None:
        return None
    ids = [row.run_uuid for row in page.items]
    keys: tuple[set[str], set[str]] = (set(), set())
    for kind, key in columns_store.keys_for(ctx.conn, ids):
        keys[kind].add(key)
    metric_keys, param_keys = sorted(keys[columns_store.METRIC]), sorted(keys[columns_store.PARAM])
    shown_metrics, shown_params = choose(metric_keys, param_keys)
    runs = {row.run_uuid: RunColumns(run_info_json(row)) for row in page.items}
    for rid, kind, key, text, value, is_nan in columns_store.values_for(
        ctx.conn, ids, shown_metrics, shown_params, tag_keys
    ):
        run = runs[rid]
        if kind == columns_store.METRIC:
            run.metrics[key] = metric_value_json(value, is_nan)
        elif kind == columns_store.PARAM:
            run.params[key] = text
        else:
            run.tags[key] = text
    return RunColumnsPage(list(runs.values()), metric_keys, param_keys, page.next_page_token)


@dataclass
class RunColumns:
    """One run of a chosen-columns page: its info (as in a Run object) and the chosen values by key."""

    info: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RunColumnsPage:
    runs: list[RunColumns]
    metric_keys: list[str]  # every latest-metric key of the page's runs, sorted
    param_keys: list[str]
    next_page_token: str | None


def _search_rows(
    ctx: Context,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    run_view_type: str | int | None,
    max_results: int | None,
    order_by: Sequence[str],
    page_token: str | None,
) -> Page[Any] | None:
    limit = DEFAULT_MAX_RESULTS if max_results is None else max_results
    validate_max_results(limit, MAX_RESULTS_SEARCH)
    eids = [parse_experiment_id(e, "experiment_ids") for e in experiment_ids]
    grantees = authz.visibility_filter(ctx, authz.EXPERIMENTS)
    readable = None
    if grantees is not None:
        readable = (ctx.conn.dialect.name, authz.readable_levels(authz.EXPERIMENTS))
    stmt = runs_search_statement(eids, lifecycle_stages(run_view_type), filter_string, order_by, readable)
    if not eids:
        # Nothing to search (MLflow answers an empty message, {}), but a malformed cursor is still refused.
        decode_cursor(page_token)
        return None
    params = None if grantees is None else {"grantees": grantees}
    return paginate(page_token, limit, lambda offset, n: store.search_runs(ctx.conn, stmt, offset, n, params))


def _run_views(ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for start in range(0, len(rows), _ID_CHUNK):
        runs.extend(runs_json(ctx, rows[start : start + _ID_CHUNK]))
    return runs
