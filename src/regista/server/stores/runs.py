"""SQL for runs."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from regista.server.db.models import Run


def find_run(conn: Connection, run_id: str) -> Row | None:  # type: ignore[type-arg]
    """The run's row (run_uuid, experiment_id, artifact_uri, lifecycle_stage, ...) or None."""
    return conn.execute(select(Run).where(Run.run_uuid == run_id)).first()
