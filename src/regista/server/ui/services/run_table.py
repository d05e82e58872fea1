"""The runs table of the experiment page: which metric and parameter columns to show (chosen by the user,
else the first few of the page's runs), each run's values for them, and the order_by text of a column."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from regista.server.tracking.services.run_search import RunColumnsPage

# Without a choice, the table shows this many metric and this many parameter columns.
DEFAULT_COLUMNS = 3
MAX_COLUMNS = 40
PREFIXES = {"metrics": "metric", "params": "param"}
# The tag the mlflow client sets to the user who started a run (the table's User column).
USER_TAG = "mlflow.user"


@dataclass
class Column:
    kind: str  # "metrics" or "params"
    key: str
    chosen: bool = False

    @property
    def id(self) -> str:
        return f"{self.kind}.{self.key}"

    @property
    def order_key(self) -> str:
        """The column as the order_by grammar names it (backquoted, so any key works)."""
        return f"{self.kind}.`{self.key.replace('`', '')}`"


@dataclass
class RunTable:
    columns: list[Column]
    # Every metric and parameter key of the page's runs, for the column chooser.
    available: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)


def parse_column(text: str) -> Column | None:
    kind, _, key = text.partition(".")
    if kind not in PREFIXES or not key:
        return None
    return Column(kind, key)


def chosen_columns(chosen: Sequence[str], explicit: bool) -> Callable[[list[str], list[str]], tuple[list[str], list[str]]]:
    """What search_run_columns calls with the page's sorted (metric keys, param keys) to learn which
    values to read: the user's choice (`metrics.<key>` / `params.<key>` ids) when `explicit`, else the
    first few keys of each kind."""
    picked = [c for c in (parse_column(t) for t in dict.fromkeys(chosen)) if c is not None][:MAX_COLUMNS]

    def choose(metric_keys: list[str], param_keys: list[str]) -> tuple[list[str], list[str]]:
        if not explicit:
            return metric_keys[:DEFAULT_COLUMNS], param_keys[:DEFAULT_COLUMNS]
        return [c.key for c in picked if c.kind == "metrics"], [c.key for c in picked if c.kind == "params"]

    return choose


def run_table(page: RunColumnsPage | None, chosen: Sequence[str], explicit: bool) -> RunTable:
    """The table for one page of runs read by search_run_columns with chosen_columns(chosen, explicit)."""
    if page is None:
        return RunTable(columns=[], available=[])
    available = [Column("metrics", key) for key in page.metric_keys] + [
        Column("params", key) for key in page.param_keys
    ]
    if explicit:
        columns = [c for c in (parse_column(t) for t in dict.fromkeys(chosen)) if c is not None][:MAX_COLUMNS]
    else:
        columns = [Column("metrics", k) for k in page.metric_keys[:DEFAULT_COLUMNS]]
        columns += [Column("params", k) for k in page.param_keys[:DEFAULT_COLUMNS]]
    chosen_ids = {c.id for c in columns}
    # A chosen key that no run of this page has stays in the chooser, so it can be unticked.
    available += [c for c in columns if c.id not in {a.id for a in available}]
    rows = []
    for run in page.runs:
        values = {"metrics": run.metrics, "params": run.params}
        rows.append({
            "info": run.info,
            "user": run.tags.get(USER_TAG) or run.info.get("user_id") or "",
            "cells": [values[c.kind].get(c.key) for c in columns],
        })
    for column in available:
        column.chosen = column.id in chosen_ids
    return RunTable(columns=columns, available=available, rows=rows)
