"""MLflow REST handlers for runs."""

from fastapi import APIRouter

router = APIRouter()
