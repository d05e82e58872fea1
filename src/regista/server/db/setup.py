"""Bring a database to the current schema and seed what must always exist (experiment 0, "Default")."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from regista.server.clock import now_ms
from regista.server.db.base import Base
from regista.server.db.engine import write_transaction
from regista.server.db.models import Experiment

DEFAULT_EXPERIMENT_ID = 0


def prepare_database(
    engine: Engine, artifact_uri_for_experiment: str, *, auto_migrate: bool
) -> None:
    """Create or migrate the schema (see db/migrate.py), then make sure the Default experiment exists.

    With `auto_migrate` an out-of-date schema is upgraded; without it, it is refused with a message telling
    the operator to run `regista db upgrade`.
    """
    from regista.server.db.migrate import ensure_schema

    ensure_schema(engine, auto_migrate=auto_migrate)
    with write_transaction(engine) as conn:
        exists = conn.execute(
            select(Experiment.experiment_id).where(Experiment.experiment_id == DEFAULT_EXPERIMENT_ID)
        ).first()
        if exists is None:
            now = now_ms()
            conn.execute(
                insert(Experiment),
                {
                    "experiment_id": DEFAULT_EXPERIMENT_ID,
                    "name": "Default",
                    "artifact_location": artifact_uri_for_experiment.format(
                        experiment_id=DEFAULT_EXPERIMENT_ID
                    ),
                    "lifecycle_stage": "active",
                    "creation_time": now,
                    "last_update_time": now,
                },
            )


__all__ = ["Base", "prepare_database"]
