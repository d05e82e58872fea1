"""Request message of the MLflow 1.x experiments/list endpoint Databricks still serves (databricks-sdk
`ExperimentsAPI.list_experiments`)."""

from __future__ import annotations

from regista.schemas.base import Message
from regista.schemas.numbers import Int32


class ListExperiments(Message):
    max_results: Int32 | None = None
    page_token: str | None = None
    view_type: str | Int32 | None = None
