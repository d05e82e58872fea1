"""SQL for experiments and their tags.

Fixed-shape statements are built once (cached factories with bind parameters) and executed with parameters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import NotFound
from regista.server.db import visibility
from regista.server.db.bulk import BulkInsert
from regista.server.db.models import Experiment, ExperimentTag, Run

_UPSERT_TAGS = BulkInsert(
    ExperimentTag, ("experiment_id", "key", "value"), (("experiment_id", "key"), ("value",), None)
)


# MLflow's not-found messages, built once (the mlflow client and users match them).
def not_found(experiment_id: int | str) -> NotFound:
    return NotFound(f"No Experiment with id={experiment_id} exists")


def not_found_by_name(name: str) -> NotFound:
    return NotFound(f"Could not find experiment with name '{name}'")


def tag_not_found(experiment_id: int | str, key: str) -> NotFound:
    return NotFound(f"No tag with name: {key} in experiment with id {experiment_id}")


@cache
def _select_experiment(by_name: bool) -> Any:
    if by_name:
        return select(Experiment).where(Experiment.name == bindparam("name"))
    return select(Experiment).where(Experiment.experiment_id == bindparam("experiment_id"))


def find_experiment(conn: Connection, experiment_id: int) -> Row[Any] | None:
    return conn.execute(_select_experiment(False), {"experiment_id": experiment_id}).first()


def get_experiment(conn: Connection, experiment_id: int) -> Row[Any]:
    row = find_experiment(conn, experiment_id)
    if row is None:
        raise not_found(experiment_id)
    return row


def find_experiment_by_name(conn: Connection, name: str) -> Row[Any] | None:
    return conn.execute(_select_experiment(True), {"name": name}).first()


@cache
def _select_with_tags(by_name: bool) -> Any:
    e = Experiment
    match = e.name == bindparam("name") if by_name else e.experiment_id == bindparam("experiment_id")
    return (
        select(e, ExperimentTag.key.label("tag_key"), ExperimentTag.value.label("tag_value"))
        .outerjoin(ExperimentTag, ExperimentTag.experiment_id == e.experiment_id)
        .where(match)
        .order_by(ExperimentTag.key)
    )


def experiment_with_tags(
    conn: Connection, experiment_id: int | None = None, name: str | None = None
) -> tuple[Row[Any] | None, list[tuple[str, str]]]:
    """(experiment row, its (key, value) tags ordered by key) in one query, by id or by name."""
    if name is not None:
        rows = conn.execute(_select_with_tags(True), {"name": name}).all()
    else:
        rows = conn.execute(_select_with_tags(False), {"experiment_id": experiment_id}).all()
    if not rows:
        return None, []
    return rows[0], [(r.tag_key, r.tag_value) for r in rows if r.tag_key is not None]


@cache
def _insert_experiment() -> Any:
    return (
        insert(Experiment)
        .values(
            name=bindparam("name"),
            artifact_location="",
            lifecycle_stage="active",
            creation_time=bindparam("now"),
            last_update_time=bindparam("now"),
        )
        .returning(Experiment.experiment_id)
    )


def insert_experiment(conn: Connection, name: str, now: int) -> int:
    """Insert with a placeholder location and return the new id (the location depends on it)."""
    return int(conn.execute(_insert_experiment(), {"name": name, "now": now}).scalar_one())


@cache
def _update_experiment(columns: tuple[str, ...]) -> Any:
    # Bind names must differ from column names in an UPDATE's SET clause.
    return (
        update(Experiment)
        .where(Experiment.experiment_id == bindparam("match_id"))
        .values({c: bindparam(f"new_{c}") for c in columns})
    )


def update_experiment(conn: Connection, experiment_id: int, **values: Any) -> None:
    params = {f"new_{c}": v for c, v in values.items()}
    params["match_id"] = experiment_id
    conn.execute(_update_experiment(tuple(sorted(values))), params)


@cache
def _set_runs_lifecycle() -> Any:
    return (
        update(Run)
        .where(Run.experiment_id == bindparam("match_id"))
        .values(lifecycle_stage=bindparam("stage"), deleted_time=bindparam("deleted"))
    )


def set_runs_lifecycle(conn: Connection, experiment_id: int, stage: str, deleted_time: int | None) -> None:
    """Delete or restore every run of an experiment with it (MLflow's delete_experiment does the same)."""
    conn.execute(_set_runs_lifecycle(), {"match_id": experiment_id, "stage": stage, "deleted": deleted_time})


def set_tags(conn: Connection, experiment_id: int, tags: Sequence[tuple[str, str]]) -> None:
    if tags:
        _UPSERT_TAGS.execute(conn, [(experiment_id, k, v) for k, v in dict(tags).items()])


@cache
def _delete_tag() -> Any:
    return delete(ExperimentTag).where(
        ExperimentTag.experiment_id == bindparam("experiment_id"), ExperimentTag.key == bindparam("key")
    )


def delete_tag(conn: Connection, experiment_id: int, key: str) -> int:
    result = conn.execute(_delete_tag(), {"experiment_id": experiment_id, "key": key})
    return int(result.rowcount or 0)


@cache
def _select_tags() -> Any:
    return (
        select(ExperimentTag.experiment_id, ExperimentTag.key, ExperimentTag.value)
        .where(ExperimentTag.experiment_id.in_(bindparam("ids", expanding=True)))
        .order_by(ExperimentTag.experiment_id, ExperimentTag.key)
    )


def tags_for(conn: Connection, experiment_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Tags of many experiments in one query."""
    ids = list(experiment_ids)
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not ids:
        return out
    for eid, key, value in conn.execute(_select_tags(), {"ids": ids}):
        out[eid].append((key, value))
    return out


@cache
def _readable(dialect: str, levels: tuple[str, ...]) -> ColumnElement[bool]:
    """Experiments the grantees bound as `grantees` hold one of `levels` on (an EXISTS on their grants,
    built once per dialect)."""
    return visibility.readable_condition(dialect, "experiments", Experiment.experiment_id, levels, "grantees")


def search_experiments(
    conn: Connection,
    stages: Sequence[str],
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    offset: int,
    limit: int,
    grantees: Any | None = None,
    readable_levels: tuple[str, ...] = (),
) -> list[Row[Any]]:
    """`limit` rows from `offset` (paginate asks for one more than a page). With `grantees` (see
    visibility.grantees_value) only experiments they hold one of `readable_levels` on are selected, inside the
    query."""
    clauses = list(where)
    params: dict[str, Any] = {}
    if grantees is not None:
        clauses.append(_readable(conn.dialect.name, readable_levels))
        params["grantees"] = grantees
    stmt = (
        select(Experiment)
        .where(Experiment.lifecycle_stage.in_(stages), *clauses)
        .order_by(*order_by)
        .offset(offset)
        .limit(limit)
    )
    return list(conn.execute(stmt, params))


@cache
def _stage_name_and_location() -> Any:
    return select(Experiment.lifecycle_stage, Experiment.name, Experiment.artifact_location).where(
        Experiment.experiment_id == bindparam("experiment_id")
    )


def stage_name_and_location(conn: Connection, experiment_id: int) -> tuple[str, str, str] | None:
    """(lifecycle_stage, name, artifact_location) of an experiment, or None."""
    row = conn.execute(_stage_name_and_location(), {"experiment_id": experiment_id}).first()
    return None if row is None else (row[0], row[1], row[2])
