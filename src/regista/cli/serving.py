"""`regista serving usage NAME`: who called an endpoint's external models, how often, how many tokens;
`regista serving prune-envs`: remove the model environments no one used for long."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Annotated

import orjson
import typer

from regista.cli.database import BackendStoreUri, DataDir, admin_context, fail
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


def _duration(value: str | None) -> float | None:
    from regista.server.settings import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


@serving_app.command("prune-envs")
def prune_envs(
    older_than: Annotated[
        float | None,
        typer.Option("--older-than", metavar="DURATION", parser=_duration,
                     help="Remove environments unused for this long: seconds, or e.g. 12h, 7d (default: "
                     "$REGISTA_SERVING_ENV_RETENTION, else 7d). 0 removes every environment."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be removed; remove nothing.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Remove model environments (<data dir>/serving/envs) unused for a while, stale builds and lock files.

    Only while no server runs on the data directory: a running server prunes them itself, keeping those its
    endpoints use (REGISTA_SERVING_ENV_RETENTION).
    """
    from regista.environments import pruning as env_pruning
    from regista.server.process_lock import LeaderLock
    from regista.server.settings import Settings

    try:
        settings = Settings.from_env(data_dir=data_dir)
    except ValueError as err:
        raise fail(str(err)) from None
    if older_than is None:
        older_than = settings.serving_env_retention_s
        if older_than <= 0:
            typer.echo("REGISTA_SERVING_ENV_RETENTION is 0 (keep environments): nothing removed; pass "
                       "--older-than to prune anyway.")
            return
    folder = os.path.join(str(settings.data_dir), "serving")
    root = os.path.join(folder, "envs")
    if not os.path.isdir(root):
        typer.echo(f"No model environments in {root}.")
        return
    # The serving supervisor's own lock: while this holds it no server process can start workers here.
    lock = LeaderLock(os.path.join(folder, "supervisor.lock"))
    if not lock.try_acquire():
        raise fail(f"a regista server supervises model serving on {settings.data_dir}; nothing removed (the "
                   "server removes unused environments itself, see REGISTA_SERVING_ENV_RETENTION; stop it to "
                   "prune by hand)")
    try:
        removed = env_pruning.prune(root, older_than, dry_run=dry_run)
    finally:
        lock.release()
    verb = "would remove" if dry_run else "removed"
    for item in removed:
        line = f"{verb} {item.kind} {item.name}"
        if item.kind == env_pruning.ENVIRONMENT:
            used = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(item.last_used or 0))
            line += f" ({item.detail + '; ' if item.detail else ''}last used {used})"
        if item.size:
            line += f": {_mib(item.size)}"
        typer.echo(line)
    envs = sum(1 for item in removed if item.kind == env_pruning.ENVIRONMENT)
    freed = sum(item.size for item in removed)
    typer.echo(f"{'Would free' if dry_run else 'Freed'} {_mib(freed)}: {envs} environment(s), "
               f"{len(removed) - envs} other item(s).")
