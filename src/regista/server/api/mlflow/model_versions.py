"""MLflow REST handlers for model versions."""

from fastapi import APIRouter

router = APIRouter()
