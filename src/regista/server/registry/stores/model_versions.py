"""SQL for model versions: lookup, insert, update, stage moves, delete, search pages, and the
`mlflow.modelVersions` tag a registration leaves on its logged model."""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Row, bindparam, delete, insert, select, update

from regista.errors import NotFound
from regista.server.db.dialect import upsert
from regista.server.db.models import LoggedModel, LoggedModelTag, ModelVersion, RegisteredModel
from regista.server.db.prepared import Prepared
from regista.server.search.keyset import key_columns

MODEL_VERSIONS_TAG = "mlflow.modelVersions"


def not_found(name: str, version: int | str) -> NotFound:
    return NotFound(f"Model Version (name={name}, version={version}) not found")


_ONE = Prepared(
    select(ModelVersion).where(
        ModelVersion.registered_model_id == bindparam("rm_id"), ModelVersion.version == bindparam("version")
    )
)
_COLUMNS = tuple(c.name for c in ModelVersion.__table__.c)
_INSERT = Prepared(
    insert(ModelVersion).values({c: bindparam(c) for c in _COLUMNS}).returning(*ModelVersion.__table__.c)
)


def find_model_version(conn: Connection, rm_id: int, version: int) -> Any | None:
    return _ONE.first(conn, {"rm_id": rm_id, "version": version})


def insert_model_version(conn: Connection, values: dict[str, Any]) -> Any:
    """Insert and return the new row (every column must be given)."""
    return _INSERT.first(conn, {c: values[c] for c in _COLUMNS})


def update_model_version(conn: Connection, rm_id: int, version: int, values: dict[str, Any]) -> Row[Any]:
    """Update and return the new row."""
    row = conn.execute(
        update(ModelVersion)
        .where(ModelVersion.registered_model_id == rm_id, ModelVersion.version == version)
        .values(values)
        .returning(*ModelVersion.__table__.c)
    ).first()
    assert row is not None
    return row


def archive_stage(conn: Connection, rm_id: int, stage: str, keep: int, now: int) -> list[int]:
    """Move every other version of the model in `stage` to Archived; the versions moved."""
    rows = conn.execute(
        update(ModelVersion)
        .where(
            ModelVersion.registered_model_id == rm_id,
            ModelVersion.current_stage == stage,
            ModelVersion.version != keep,
        )
        .values(current_stage="Archived", last_updated_time=now)
        .returning(ModelVersion.version)
    )
    return sorted(r[0] for r in rows)


def delete_model_version(conn: Connection, rm_id: int, version: int) -> None:
    """Delete the version row (its tags cascade)."""
    conn.execute(
        delete(ModelVersion).where(ModelVersion.registered_model_id == rm_id, ModelVersion.version == version)
    )


def storage_locations(conn: Connection, rm_id: int) -> list[str]:
    """Every storage location recorded for the model's versions (for clean-up on model deletion)."""
    rows = conn.execute(
        select(ModelVersion.storage_location).where(
            ModelVersion.registered_model_id == rm_id, ModelVersion.storage_location.is_not(None)
        )
    )
    return [r[0] for r in rows if r[0] is not None]  # the query excludes NULL; the test tells mypy


def search_model_versions(
    conn: Connection,
    where: ColumnElement[bool] | None,
    order_by: list[Any],
    offset: int,
    limit: int,
    visible: ColumnElement[bool] | None = None,
    grantees: Any = None,
    seek: ColumnElement[bool] | None = None,
) -> list[Row[Any]]:
    """A page of versions, each row carrying its model's name as `rm_name`. `visible`
    (model_versions_filter.readable_versions) keeps only versions of models the grantees may read, inside
    the query so that offsets (page cursors) stay right; it binds `grantees` (visibility.grantees_value)."""
    stmt = select(ModelVersion, RegisteredModel.name.label("rm_name")).join(
        RegisteredModel, RegisteredModel.id == ModelVersion.registered_model_id
    )
    if where is not None:
        stmt = stmt.where(where)
    params: dict[str, Any] = {}
    if visible is not None:
        stmt = stmt.where(visible)
        params["grantees"] = grantees
    if seek is not None:
        stmt = stmt.where(seek)
    stmt = stmt.add_columns(*key_columns(order_by)).order_by(*order_by).offset(offset).limit(limit)
    return list(conn.execute(stmt, params))


def find_logged_model_by_run_and_name(conn: Connection, run_id: str, name: str) -> Row[Any] | None:
    """The newest logged model of the run with this name (how `runs:/<run>/<name>` is resolved in MLflow 3)."""
    return conn.execute(
        select(LoggedModel)
        .where(LoggedModel.source_run_id == run_id, LoggedModel.name == name)
        .order_by(LoggedModel.creation_timestamp_ms.desc())
        .limit(1)
    ).first()


def add_version_to_logged_model(conn: Connection, model_id: str, name: str, version: int) -> None:
    """Append {name, version} to the logged model's `mlflow.modelVersions` JSON tag, as the official
    server does (mlflow-rest.md §1.6)."""
    current = conn.execute(
        select(LoggedModelTag.value).where(
            LoggedModelTag.model_id == model_id, LoggedModelTag.key == MODEL_VERSIONS_TAG
        )
    ).scalar_one_or_none()
    entries: list[Any] = []
    if current:
        try:
            parsed = orjson.loads(current)
            entries = parsed if isinstance(parsed, list) else []
        except orjson.JSONDecodeError:
            entries = []
    entry = {"name": name, "version": version}
    if entry not in entries:
        entries.append(entry)
    conn.execute(
        upsert(conn, LoggedModelTag, ["model_id", "key"], ["value"]),
        # MLflow writes the tag with json.dumps' default separators ('[{"name": "m", "version": 1}]'); clients
        # compare the string, so it is formatted the same way.
        {"model_id": model_id, "key": MODEL_VERSIONS_TAG, "value": json.dumps(entries)},
    )
