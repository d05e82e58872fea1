"""Request message of the MLflow 1.x registered-models/list endpoint Databricks still serves
(databricks-sdk `ModelRegistryAPI.list_models`)."""

from __future__ import annotations

from regista.schemas.base import Message
from regista.schemas.numbers import Int32


class ListRegisteredModels(Message):
    max_results: Int32 = 100
    page_token: str | None = None
