"""Request messages of the MLflow 1.x list endpoints Databricks still serves (databricks-sdk
`ExperimentsAPI.list_experiments`, `ModelRegistryAPI.list_models`)."""

from __future__ import annotations

from regista.schemas.base import Message
from regista.schemas.numbers import Int32


class ListExperiments(Message):
    max_results: Int32 | None = None
    page_token: str | None = None
    view_type: str | Int32 | None = None


class ListRegisteredModels(Message):
    max_results: Int32 = 100
    page_token: str | None = None
