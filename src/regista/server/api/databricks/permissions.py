"""Databricks REST handlers: object permissions (/api/2.0/permissions/{registered-models,experiments}/...)."""

from __future__ import annotations

from fastapi import APIRouter

from regista.server.api.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)
