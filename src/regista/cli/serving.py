"""`regista serving usage NAME`: who called an endpoint's external models, how often, how many tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import orjson
import typer

from regista.cli.database import BackendStoreUri, DataDir, admin_context
from regista.cli.tokens import _table

serving_app = typer.Typer(help="Serving endpoints.", no_args_is_help=True, rich_markup_mode=None)


def _time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@serving_app.command("usage")
def usage(
    name: Annotated[str, typer.Argument(help="The serving endpoint.")],
    calls: Annotated[bool, typer.Option("--calls", help="List the latest calls rather than per-user totals.")] = False,
    max_results: Annotated[int, typer.Option("--max-results", min=1, max=100_000)] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Usage of an endpoint's external models: per user (calls, tokens, mean latency), or each call."""
    from regista.server.serving.services import endpoints

    with admin_context(backend_store_uri, data_dir) as ctx:
        report = endpoints.usage_report(ctx, name, max_results)
    items = report["calls"] if calls else report["by_user"]
    if as_json:
        for item in items:
            typer.echo(orjson.dumps(item).decode())
        return
    if calls:
        _table(["TIME", "USER", "ENTITY", "STATUS", "LATENCY_MS", "PROMPT", "COMPLETION", "TOTAL"],
               [[_time(c["timestamp"]), c["user"], c["served_entity_name"], str(c["status_code"]),
                 str(c["latency_ms"]), str(c.get("prompt_tokens", "")), str(c.get("completion_tokens", "")),
                 str(c.get("total_tokens", ""))] for c in items])
        return
    _table(["USER", "CALLS", "PROMPT_TOKENS", "COMPLETION_TOKENS", "TOTAL_TOKENS", "MEAN_LATENCY_MS"],
           [[u["user"], str(u["calls"]), str(u["prompt_tokens"]), str(u["completion_tokens"]),
             str(u["total_tokens"]), str(u["mean_latency_ms"])] for u in items])
