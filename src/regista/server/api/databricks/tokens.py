"""Databricks REST handlers: personal access tokens and token management (/api/2.0/token, /api/2.0/token-management)."""

from __future__ import annotations

from fastapi import APIRouter

from regista.server.api.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)
