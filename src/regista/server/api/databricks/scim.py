"""Databricks REST handlers: SCIM users, groups and service principals (/api/2.0/preview/scim/v2)."""

from __future__ import annotations

from fastapi import APIRouter

from regista.server.api.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute)
