"""MLflow REST handlers for registered models."""

from fastapi import APIRouter

router = APIRouter()
