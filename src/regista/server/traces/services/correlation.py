"""How strongly two trace filters co-occur in experiments: counts and NPMI (normalised pointwise mutual
information), as MLflow's CalculateTraceFilterCorrelation answers, for the UI's insights."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_

from regista.errors import InvalidParameter
from regista.server.context import Context
from regista.server.traces.services.traces import readable_experiments
from regista.server.traces.stores import traces as store
from regista.server.traces.stores.trace_filter import trace_where

# Jeffreys prior: the additive smoothing of the smoothed NPMI.
SMOOTHING = 0.5


def _npmi(n11: float, n10: float, n01: float, n00: float, smoothing: float) -> float:
    a, b, c, d = n11 + smoothing, n10 + smoothing, n01 + smoothing, n00 + smoothing
    total, first, second = a + b + c + d, a + b, a + c
    if first <= 0 or second <= 0 or a <= 0:
        return math.nan
    if n10 == 0 and n01 == 0 and n00 == 0:
        return 1.0
    pmi = math.log(a) + math.log(total) - math.log(first) - math.log(second)
    return max(-1.0, min(1.0, pmi / -(math.log(a) - math.log(total))))


def npmi(joint: int, first: int, second: int, total: int) -> tuple[float, float]:
    """(NPMI, smoothed NPMI): NaN when a filter matches nothing, -1 when they never co-occur."""
    if total <= 0 or first == 0 or second == 0:
        return math.nan, math.nan
    cells = (joint, first - joint, second - joint, total - first - second + joint)
    if min(cells) < 0:
        return math.nan, math.nan
    raw = -1.0 if joint == 0 else _npmi(*cells, smoothing=0)
    return raw, _npmi(*cells, smoothing=SMOOTHING)


def _wire(value: float) -> float | str:
    # Protobuf JSON writes a NaN double as the string "NaN" (JSON has no NaN).
    return "NaN" if math.isnan(value) else value


def calculate(ctx: Context, experiment_ids: Sequence[str], filter1: str | None, filter2: str | None,
              base_filter: str | None) -> dict[str, Any]:
    ids = readable_experiments(ctx, experiment_ids)
    if not filter1 or not filter2:
        raise InvalidParameter("Missing value for required parameter 'filter_string1' or 'filter_string2'.")
    base, first, second = trace_where(base_filter), trace_where(filter1), trace_where(filter2)
    total = store.count(ctx.conn, ids, base)
    count1 = store.count(ctx.conn, ids, base, first)
    count2 = store.count(ctx.conn, ids, base, second)
    joint = store.count(ctx.conn, ids, base, and_(first, second) if first is not None and second is not None
                        else first if first is not None else second)
    raw, smoothed = npmi(joint, count1, count2, total)
    return {"npmi": _wire(raw), "npmi_smoothed": _wire(smoothed), "filter1_count": count1,
            "filter2_count": count2, "joint_count": joint, "total_count": total}
