"""Request messages of the MLflow 1.x list endpoints Databricks still serves (databricks-sdk
`ExperimentsAPI.list_experiments`, `ModelRegistryAPI.list_models`)."""

from __future__ import annotations

from regista.schemas.base import Message


class ListExperiments(Message):
    max_results: int | None = None
    page_token: str | None = None
    view_type: str | int | None = None


class ListRegisteredModels(Message):
    max_results: int = 100
    page_token: str | None = None
