"""The runs table of the experiment page: which metric and parameter columns to show (chosen by the user,
else the first few of the page's runs), each run's values for them, and the order_by text of a column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Without a choice, the table shows this many metric and this many parameter columns.
DEFAULT_COLUMNS = 3
MAX_COLUMNS = 40
PREFIXES = {"metrics": "metric", "params": "param"}


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


def run_table(runs: Sequence[dict[str, Any]], chosen: Sequence[str], explicit: bool) -> RunTable:
    """The table for one page of runs. `chosen` are `metrics.<key>` / `params.<key>` ids; when the user
    made no choice (`explicit` false) the first metrics and parameters are shown."""
    values: list[dict[str, dict[str, Any]]] = []
    keys: dict[str, set[str]] = {"metrics": set(), "params": set()}
    for run in runs:
        data = run.get("data", {})
        row = {kind: {item["key"]: item["value"] for item in data.get(kind, [])} for kind in PREFIXES}
        for kind in PREFIXES:
            keys[kind].update(row[kind])
        values.append(row)
    available = [Column(kind, key) for kind in PREFIXES for key in sorted(keys[kind])]
    if explicit:
        columns = [c for c in (parse_column(t) for t in dict.fromkeys(chosen)) if c is not None][:MAX_COLUMNS]
    else:
        columns = []
        for kind in PREFIXES:
            columns += [Column(kind, key) for key in sorted(keys[kind])[:DEFAULT_COLUMNS]]
    chosen_ids = {c.id for c in columns}
    available += [c for c in columns if c.id not in {a.id for a in available}]
    rows = []
    for run, row in zip(runs, values, strict=True):
        tags = {t["key"]: t["value"] for t in run.get("data", {}).get("tags", [])}
        rows.append({
            "info": run["info"],
            "user": tags.get("mlflow.user") or run["info"].get("user_id") or "",
            "cells": [row[c.kind].get(c.key) for c in columns],
        })
    for column in available:
        column.chosen = column.id in chosen_ids
    return RunTable(columns=columns, available=available, rows=rows)
