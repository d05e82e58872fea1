"""SQL for MLflow 3 logged models."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from regista.server.db.models import LoggedModel


def find_logged_model(conn: Connection, model_id: str) -> Row | None:  # type: ignore[type-arg]
    """The logged model's row (model_id, experiment_id, artifact_location, source_run_id, ...) or None."""
    return conn.execute(select(LoggedModel).where(LoggedModel.model_id == model_id)).first()
