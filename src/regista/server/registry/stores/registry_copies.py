"""SQL that finds which model version owns a registry copy, for the artifact proxy's permission checks and
the orphan sweep.

Registry copies (`_registry/<uuid>/...`) belong to the model version whose storage_location is that directory; a
copy no version uses is an orphan (services/registry_storage.py sweeps them).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select

from regista.server.db.id_lists import ids_value, in_ids
from regista.server.db.models import ModelVersion, RegisteredModel


@cache
def _registry_copy_owner() -> Any:
    return (
        select(RegisteredModel.id, RegisteredModel.name)
        .join(ModelVersion, ModelVersion.registered_model_id == RegisteredModel.id)
        .where(ModelVersion.storage_location == bindparam("location"))
        .limit(1)
    )


def registry_copy_owner(conn: Connection, storage_location: str) -> tuple[int, str] | None:
    """(registered model id, name) of the version stored at `storage_location`
    (mlflow-artifacts:/_registry/<uuid>), or None when no version is stored there."""
    row = conn.execute(_registry_copy_owner(), {"location": storage_location}).first()
    return None if row is None else (int(row[0]), str(row[1]))


@cache
def _referenced_locations(dialect: str) -> Any:
    return select(ModelVersion.storage_location).where(
        in_ids(ModelVersion.storage_location, dialect, "locations")
    )


def referenced_locations(conn: Connection, locations: Sequence[str]) -> set[str]:
    """The storage locations among `locations` that some committed model version uses."""
    statement = _referenced_locations(conn.dialect.name)
    rows = conn.execute(statement, {"locations": ids_value(conn, locations)})
    return {str(row[0]) for row in rows}
