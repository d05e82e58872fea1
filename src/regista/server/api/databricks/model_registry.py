"""Databricks REST handlers: transition requests, comments, activities and the Databricks model-version endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from regista.server.api.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)
