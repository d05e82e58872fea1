"""SQL for experiments and their tags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.db.models import Experiment, ExperimentTag, Run
from regista.server.stores.dialect import upsert


def find_experiment(conn: Connection, experiment_id: int) -> Row | None:  # type: ignore[type-arg]
    return conn.execute(select(Experiment).where(Experiment.experiment_id == experiment_id)).first()


def get_experiment(conn: Connection, experiment_id: int) -> Row:  # type: ignore[type-arg]
    row = find_experiment(conn, experiment_id)
    if row is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    return row


def find_experiment_by_name(conn: Connection, name: str) -> Row | None:  # type: ignore[type-arg]
    return conn.execute(select(Experiment).where(Experiment.name == name)).first()


def insert_experiment(conn: Connection, name: str, now: int) -> int:
    """Insert with a placeholder location and return the new id (the location depends on it)."""
    return int(
        conn.execute(
            insert(Experiment)
            .values(
                name=name,
                artifact_location="",
                lifecycle_stage="active",
                creation_time=now,
                last_update_time=now,
            )
            .returning(Experiment.experiment_id)
        ).scalar_one()
    )


def update_experiment(conn: Connection, experiment_id: int, **values: Any) -> None:
    conn.execute(update(Experiment).where(Experiment.experiment_id == experiment_id).values(**values))


def set_runs_lifecycle(conn: Connection, experiment_id: int, stage: str, deleted_time: int | None) -> None:
    """Delete or restore every run of an experiment with it (MLflow's delete_experiment does the same)."""
    conn.execute(
        update(Run)
        .where(Run.experiment_id == experiment_id)
        .values(lifecycle_stage=stage, deleted_time=deleted_time)
    )


def set_tags(conn: Connection, experiment_id: int, tags: Sequence[tuple[str, str]]) -> None:
    if not tags:
        return
    rows = [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in dict(tags).items()]
    conn.execute(upsert(conn, ExperimentTag, ["experiment_id", "key"], ["value"]), rows)


def delete_tag(conn: Connection, experiment_id: int, key: str) -> int:
    result = conn.execute(
        delete(ExperimentTag).where(ExperimentTag.experiment_id == experiment_id, ExperimentTag.key == key)
    )
    return int(result.rowcount or 0)


def tags_for(conn: Connection, experiment_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Tags of many experiments in one query."""
    ids = list(experiment_ids)
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not ids:
        return out
    rows = conn.execute(
        select(ExperimentTag.experiment_id, ExperimentTag.key, ExperimentTag.value)
        .where(ExperimentTag.experiment_id.in_(ids))
        .order_by(ExperimentTag.experiment_id, ExperimentTag.key)
    )
    for eid, key, value in rows:
        out[eid].append((key, value))
    return out


def search_experiments(
    conn: Connection,
    stages: Sequence[str],
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    offset: int,
    limit: int,
) -> list[Row]:  # type: ignore[type-arg]
    """One page (limit+1 rows so the caller knows whether another page follows)."""
    stmt = (
        select(Experiment)
        .where(Experiment.lifecycle_stage.in_(stages), *where)
        .order_by(*order_by)
        .offset(offset)
        .limit(limit + 1)
    )
    return list(conn.execute(stmt))
