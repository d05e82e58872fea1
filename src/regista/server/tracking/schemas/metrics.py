"""Request bodies of the MLflow metrics API and the metric entity clients send."""

from __future__ import annotations

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
