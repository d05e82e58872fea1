"""MLflow REST handlers for logged models."""

from fastapi import APIRouter

router = APIRouter()
