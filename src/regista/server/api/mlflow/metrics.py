"""MLflow REST handlers for metrics."""

from fastapi import APIRouter

router = APIRouter()
