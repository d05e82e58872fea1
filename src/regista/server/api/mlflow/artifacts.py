"""MLflow REST handlers for artifacts."""

from fastapi import APIRouter

router = APIRouter()
