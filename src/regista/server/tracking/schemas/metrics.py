"""Request bodies of the MLflow metrics API, the metric entity clients send, and metric points on the wire."""

from __future__ import annotations

import math
from typing import Any

from regista.schemas.base import Message
from regista.schemas.numbers import Int32, Int64


class MetricIn(Message):
    """A metric point; value may arrive as the strings "NaN", "Infinity", "-Infinity" (proto JSON)."""

    key: str | None = None
    value: float | None = None
    timestamp: Int64 | None = None
    step: Int64 | None = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class GetMetricHistory(Message):
    run_id: str | None = None
    run_uuid: str | None = None
    metric_key: str | None = None
    max_results: Int32 | None = None
    page_token: str | None = None


class GetMetricHistoryBulk(Message):
    """The web UI's bulk read: `run_id` repeated in the query string."""

    run_id: list[str] = []
    metric_key: str | None = None
    max_results: Int32 | None = None


class GetMetricHistoryBulkInterval(Message):
    run_ids: list[str] = []
    metric_key: str | None = None
    start_step: Int64 | None = None
    end_step: Int64 | None = None
    max_results: Int32 | None = None


# Response shapes.


def metric_value_json(value: float, is_nan: bool) -> float | str:
    """MLflow's JSON for doubles: non-finite values are the strings NaN / Infinity / -Infinity."""
    if is_nan or math.isnan(value):
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return value


def metric_point_json(run_id: str, key: str, r: Any) -> dict[str, Any]:
    return {
        "key": key,
        "value": metric_value_json(r.value, r.is_nan),
        "timestamp": r.timestamp,
        "step": r.step,
        "run_id": run_id,
    }


def metric_history_json(run_id: str, rows: list[Any]) -> list[dict[str, Any]]:
    """Points of one run's metric history, with the model and dataset they were logged against if any."""
    metrics = []
    for r in rows:
        m: dict[str, Any] = {
            "key": r.key,
            "value": metric_value_json(r.value, r.is_nan),
            "timestamp": r.timestamp,
            "step": r.step,
            "run_id": run_id,
        }
        if r.model_id:
            m["model_id"] = r.model_id
        if r.dataset_name:
            m["dataset_name"] = r.dataset_name
        if r.dataset_digest:
            m["dataset_digest"] = r.dataset_digest
        metrics.append(m)
    return metrics
