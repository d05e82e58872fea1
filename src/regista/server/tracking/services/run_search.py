"""search_runs: MLflow's filter grammar, order_by and offset page cursors, in one SQL query plus a fixed
number of batched reads for the page's params, tags, latest metrics and inputs.

Only runs of experiments the caller may read are returned: a requested experiment the caller cannot read
contributes no runs (no error, as MLflow's own auth plugin filters), decided inside the query so paging
stays right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.search.page_cursor import Page, decode_cursor, paginate
from regista.server.tracking.services.experiments import lifecycle_stages
from regista.server.tracking.services.runs import runs_json
from regista.server.tracking.services.tracking_validation import MAX_RESULTS_SEARCH, parse_experiment_id
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
    page = paginate(page_token, limit, lambda offset, n: store.search_runs(ctx.conn, stmt, offset, n, params))
    return page.map(lambda rows: _run_views(ctx, rows))


def _run_views(ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for start in range(0, len(rows), _ID_CHUNK):
        runs.extend(runs_json(ctx, rows[start : start + _ID_CHUNK]))
    return runs
