"""Side-by-side tables and plot data for comparing versions (and, with the same shapes, runs): rows of
values per key, optionally only the rows that differ, and the numeric columns the plots can use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def comparison_rows(columns: Sequence[Mapping[str, Any]], differences_only: bool) -> list[dict[str, Any]]:
    """[{"key", "values": [value per column or None], "differs"}], sorted by key."""
    keys = sorted({k for column in columns for k in column})
    rows = []
    for key in keys:
        values = [column.get(key) for column in columns]
        differs = len({repr(v) for v in values}) > 1
        if differs or not differences_only:
            rows.append({"key": key, "values": values, "differs": differs})
    return rows


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def plot_data(
    labels: Sequence[str], params: Sequence[Mapping[str, Any]], metrics: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """What static/plots.js draws: one point per column, with every parameter and metric that is a number
    in all of them (named "param: <key>" / "metric: <key>")."""
    series: dict[str, list[float]] = {}
    for prefix, columns in (("param", params), ("metric", metrics)):
        for key in sorted({k for c in columns for k in c}):
            numbers = [_number(c.get(key)) for c in columns]
            if all(n is not None for n in numbers):
                series[f"{prefix}: {key}"] = [n for n in numbers if n is not None]
    return {"labels": list(labels), "series": series}
