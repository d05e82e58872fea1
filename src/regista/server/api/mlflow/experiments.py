"""MLflow REST handlers for experiments."""

from fastapi import APIRouter

router = APIRouter()
