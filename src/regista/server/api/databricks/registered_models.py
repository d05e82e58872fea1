"""Databricks REST handlers: the Databricks variants of registered-model reads (/mlflow/databricks/registered-models/...)."""

from __future__ import annotations

from fastapi import APIRouter

from regista.server.api.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)
