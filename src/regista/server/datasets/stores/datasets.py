"""SQL for evaluation datasets, their tags and their experiment links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, insert, select, update

from regista.server.db.bulk import BulkInsert
from regista.server.db.models import (
    EvaluationDataset,
    EvaluationDatasetExperiment,
    EvaluationDatasetTag,
)

_UPSERT_TAGS = BulkInsert(
    EvaluationDatasetTag, ("dataset_id", "key", "value"), (("dataset_id", "key"), ("value",), None)
)
_LINK = BulkInsert(EvaluationDatasetExperiment, ("dataset_id", "experiment_id"), "nothing")


@cache
def _select_dataset() -> Any:
    return select(EvaluationDataset).where(EvaluationDataset.dataset_id == bindparam("dataset_id"))


def find_dataset(conn: Connection, dataset_id: str) -> Row[Any] | None:
    return conn.execute(_select_dataset(), {"dataset_id": dataset_id}).first()


def insert_dataset(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(EvaluationDataset), values)


@cache
def _update_dataset(columns: tuple[str, ...]) -> Any:
    # Bind names must differ from column names in an UPDATE's SET clause.
    return (
        update(EvaluationDataset)
        .where(EvaluationDataset.dataset_id == bindparam("match_id"))
        .values({c: bindparam(f"new_{c}") for c in columns})
    )


def update_dataset(conn: Connection, dataset_id: str, **values: Any) -> None:
    params = {f"new_{c}": v for c, v in values.items()}
    params["match_id"] = dataset_id
    conn.execute(_update_dataset(tuple(sorted(values))), params)


def delete_dataset(conn: Connection, dataset_id: str) -> None:
    # Tags, links and records go with it (ON DELETE CASCADE; SQLite connections run with foreign keys on).
    conn.execute(delete(EvaluationDataset).where(EvaluationDataset.dataset_id == dataset_id))


def set_tags(conn: Connection, dataset_id: str, tags: Sequence[tuple[str, str]]) -> None:
    if tags:
        _UPSERT_TAGS.execute(conn, [(dataset_id, k, v) for k, v in dict(tags).items()])


def delete_tag(conn: Connection, dataset_id: str, key: str) -> None:
    conn.execute(
        delete(EvaluationDatasetTag).where(EvaluationDatasetTag.dataset_id == dataset_id, EvaluationDatasetTag.key == key)
    )


def link(conn: Connection, dataset_id: str, experiment_ids: Sequence[int]) -> None:
    _LINK.execute(conn, [(dataset_id, eid) for eid in dict.fromkeys(experiment_ids)])


def unlink(conn: Connection, dataset_id: str, experiment_ids: Sequence[int]) -> None:
    if experiment_ids:
        conn.execute(
            delete(EvaluationDatasetExperiment).where(
                EvaluationDatasetExperiment.dataset_id == dataset_id,
                EvaluationDatasetExperiment.experiment_id.in_(list(experiment_ids)),
            )
        )


def experiment_ids_of(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, list[int]]:
    """Each dataset's linked experiment ids, in ascending order (one query)."""
    out: dict[str, list[int]] = defaultdict(list)
    if dataset_ids:
        rows = conn.execute(
            select(EvaluationDatasetExperiment.dataset_id, EvaluationDatasetExperiment.experiment_id)
            .where(EvaluationDatasetExperiment.dataset_id.in_(list(dataset_ids)))
            .order_by(EvaluationDatasetExperiment.dataset_id, EvaluationDatasetExperiment.experiment_id)
        )
        for dataset_id, eid in rows:
            out[dataset_id].append(eid)
    return out


def tags_of(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each dataset's tags (one query)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    if dataset_ids:
        rows = conn.execute(
            select(EvaluationDatasetTag.dataset_id, EvaluationDatasetTag.key, EvaluationDatasetTag.value)
            .where(EvaluationDatasetTag.dataset_id.in_(list(dataset_ids)))
            .order_by(EvaluationDatasetTag.dataset_id, EvaluationDatasetTag.key)
        )
        for dataset_id, key, value in rows:
            out[dataset_id][key] = value
    return out


def search(
    conn: Connection, stmt: Select[Any], offset: int, limit: int, params: dict[str, Any] | None
) -> Sequence[Row[Any]]:
    return conn.execute(stmt.offset(offset).limit(limit), params or {}).all()
