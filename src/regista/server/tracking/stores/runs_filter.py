"""Translate run search filters and order_by into one SQL statement over runs.

Metric, param and tag comparisons become inner joins on latest_metrics / params / run_tags (one aliased
join per key, reused by every comparison and by order_by on that key); IS NULL becomes NOT EXISTS; dataset
comparisons become EXISTS over run_dataset_inputs. Ordering happens in SQL: real values first, then NaN
metrics, then runs missing the key, whatever the direction (MLflow's rule); ties break on start_time DESC
then run_uuid.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, case, exists, false, not_, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import InvalidParameter
from regista.schemas.numbers import IntegerValueError, to_int
from regista.server.db import visibility
from regista.server.db.models import Dataset, LatestMetric, Param, Run, RunDatasetInput, RunTag
from regista.server.search.filter_parser import Comparison, comparisons, in_column_range, parse_filter
from regista.server.search.order_by import OrderBy, parse_order_by
from regista.server.tracking.stores.experiments_filter import numeric_compare, string_compare

STRING_ATTRIBUTES: dict[str, Any] = {
    "run_id": Run.run_uuid,
    "run_name": Run.name,
    "status": Run.status,
    "user_id": Run.user_id,
    "artifact_uri": Run.artifact_uri,
    "lifecycle_stage": Run.lifecycle_stage,
}
NUMERIC_ATTRIBUTES: dict[str, Any] = {
    "start_time": Run.start_time,
    "end_time": Run.end_time,
    "created": Run.start_time,
    "Created": Run.start_time,
}
_ATTRIBUTE_ALIASES = {"run name": "run_name", "run_uuid": "run_id"}
NUMERIC_OPS = ("=", "!=", ">", ">=", "<", "<=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
KEYED_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL")
DATASET_FIELDS = ("name", "digest", "context")


def _attribute_key(key: str) -> str:
    return _ATTRIBUTE_ALIASES.get(key, key)


class RunQuery:
    """Accumulates joins, where clauses and order clauses for one runs search."""

    def __init__(self) -> None:
        self.stmt: Select[Any] = select(Run)
        self.where: list[ColumnElement[bool]] = []
        self.metric_joins: dict[str, Any] = {}
        self.param_joins: dict[str, Any] = {}
        self.tag_joins: dict[str, Any] = {}

    def _join(self, joins: dict[str, Any], table: Any, key: str, outer: bool = False) -> Any:
        if key in joins:
            return joins[key]
        alias = aliased(table)
        on = and_(alias.run_uuid == Run.run_uuid, alias.key == key)
        self.stmt = self.stmt.join(alias, on, isouter=outer)
        if not outer:
            joins[key] = alias
        return alias

    # ------------------------------------------------------------------------------------------ filters

    def add_filter(self, c: Comparison) -> None:
        kind = c.ident.kind
        if kind == "attribute":
            self.where.append(_attribute_clause(c))
        elif kind == "metric":
            self._metric(c)
        elif kind in ("param", "tag"):
            self._keyed(
                c,
                Param if kind == "param" else RunTag,
                self.param_joins if kind == "param" else self.tag_joins,
            )
        elif kind == "dataset":
            self.where.append(_dataset_clause(c))
        else:  # pragma: no cover - the parser only produces the kinds above
            raise InvalidParameter(f"Invalid entity type '{kind}'.")

    def _metric(self, c: Comparison) -> None:
        if c.op not in NUMERIC_OPS:
            raise InvalidParameter(
                f"Invalid comparator '{c.op}' not one of '{list(NUMERIC_OPS)}' for metric '{c.ident.key}'."
            )
        if c.quoted or not isinstance(c.value, (int, float)):
            raise InvalidParameter(
                f"Expected numeric value type for metric '{c.ident.key}'. Found {c.value!r}."
            )
        alias = self._join(self.metric_joins, LatestMetric, c.ident.key)
        cond = numeric_compare(alias.value, c.op, float(c.value))
        # NaN never equals or orders against a number; it only satisfies !=.
        if c.op == "!=":
            self.where.append(or_(alias.is_nan == true(), cond))
        else:
            self.where.append(and_(alias.is_nan == false(), cond))

    def _keyed(self, c: Comparison, table: Any, joins: dict[str, Any]) -> None:
        label = "param" if table is Param else "tag"
        if c.op not in KEYED_OPS:
            raise InvalidParameter(
                f"Invalid comparator '{c.op}' not one of '{list(KEYED_OPS)}' for {label} '{c.ident.key}'."
            )
        if c.op in ("IS NULL", "IS NOT NULL"):
            present = exists(select(1).where(table.run_uuid == Run.run_uuid, table.key == c.ident.key))
            self.where.append(not_(present) if c.op == "IS NULL" else present)
            return
        if c.op not in ("IN", "NOT IN") and not (c.quoted and isinstance(c.value, str)):
            raise InvalidParameter(
                f"Value for {label} '{c.ident.key}' must be a quoted string, got {c.value!r}."
            )
        alias = self._join(joins, table, c.ident.key)
        self.where.append(string_compare(alias.value, c.op, c.value))

    # ------------------------------------------------------------------------------------------ ordering

    def order(self, clauses: Sequence[str]) -> list[Any]:
        out: list[Any] = []
        has_start_time = False
        for text in clauses:
            ob = parse_order_by(text)
            kind, key = ob.ident.kind, ob.ident.key
            if kind == "attribute":
                key = _attribute_key(key)
                col = STRING_ATTRIBUTES.get(key)
                if col is None:
                    col = NUMERIC_ATTRIBUTES.get(key)
                if col is None:
                    raise InvalidParameter(_invalid_attribute(key))
                has_start_time = has_start_time or col is Run.start_time
                out += [case((col.is_(None), 1), else_=0), _direction(col, ob)]
            elif kind == "metric":
                alias = self.metric_joins.get(key) or self._join({}, LatestMetric, key, outer=True)
                rank = case((alias.run_uuid.is_(None), 2), (alias.is_nan == true(), 1), else_=0)
                out += [rank, _direction(alias.value, ob)]
            elif kind in ("param", "tag"):
                table, joins = (Param, self.param_joins) if kind == "param" else (RunTag, self.tag_joins)
                alias = joins.get(key) or self._join({}, table, key, outer=True)
                out += [case((alias.run_uuid.is_(None), 1), else_=0), _direction(alias.value, ob)]
            else:
                raise InvalidParameter(f"Invalid order_by entity type '{kind}' in '{text}'.")
        if not has_start_time:
            out.append(Run.start_time.desc())
        out.append(Run.run_uuid.asc())
        return out


def _direction(col: Any, ob: OrderBy) -> Any:
    return col.asc() if ob.ascending else col.desc()


def _invalid_attribute(key: str) -> str:
    valid = sorted(set(STRING_ATTRIBUTES) | set(NUMERIC_ATTRIBUTES) - {"Created"})
    return f"Invalid attribute key '{key}' specified. Valid keys are '{valid}'"


def _attribute_clause(c: Comparison) -> ColumnElement[bool]:
    key = _attribute_key(c.ident.key)
    if key in STRING_ATTRIBUTES:
        if c.op not in STRING_OPS:
            raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute '{key}'.")
        if c.op not in ("IN", "NOT IN") and not isinstance(c.value, str):
            raise InvalidParameter(f"Value for attribute '{key}' must be a quoted string, got {c.value!r}.")
        if key == "run_id" and c.op in ("LIKE", "ILIKE"):
            raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute 'run_id'.")
        return string_compare(STRING_ATTRIBUTES[key], c.op, c.value)
    if key in NUMERIC_ATTRIBUTES:
        if c.op not in NUMERIC_OPS:
            raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute '{key}'.")
        value = c.value
        if isinstance(value, str):
            try:
                value = to_int(value)
            except IntegerValueError:
                raise InvalidParameter(
                    f"Expected a numeric value for attribute '{key}', got {value!r}."
                ) from None
        if not isinstance(value, (int, float)):
            raise InvalidParameter(f"Expected a numeric value for attribute '{key}', got {value!r}.")
        return numeric_compare(NUMERIC_ATTRIBUTES[key], c.op, in_column_range(value, key))
    raise InvalidParameter(_invalid_attribute(key))


def _dataset_clause(c: Comparison) -> ColumnElement[bool]:
    field = c.ident.key
    if field not in DATASET_FIELDS:
        raise InvalidParameter(
            f"Invalid dataset key '{field}' specified. Valid keys are '{list(DATASET_FIELDS)}'"
        )
    if c.op not in STRING_OPS:
        raise InvalidParameter(f"Invalid comparator '{c.op}' for dataset attribute '{field}'.")
    col = {"name": Dataset.name, "digest": Dataset.digest, "context": RunDatasetInput.context}[field]
    return exists(
        select(1)
        .select_from(RunDatasetInput)
        .join(Dataset, Dataset.dataset_uuid == RunDatasetInput.dataset_uuid)
        .where(RunDatasetInput.run_uuid == Run.run_uuid, string_compare(col, c.op, c.value))
    )


def runs_search_statement(
    experiment_ids: Sequence[int],
    stages: Sequence[str],
    filter_string: str | None,
    order_by: Sequence[str],
    readable: tuple[str, tuple[str, ...]] | None = None,
) -> Select[Any]:
    """SELECT runs ... WHERE <scope and filter> ORDER BY <order_by and tie-breakers> (no limit yet).

    `readable` = (dialect, levels) restricts the runs to experiments on which the grantees bound as the
    `grantees` parameter (visibility.grantees_value) hold one of `levels`: visibility is part of the query.

    Statements are immutable: the same search (a client paging, a dashboard polling) reuses the one built
    for it instead of parsing the filter and building the joins again. The restricted variant is its own
    cache entry. Invalid searches are not cached.
    """
    return _search_statement(tuple(experiment_ids), tuple(stages), filter_string, tuple(order_by), readable)


@lru_cache(maxsize=128)
def _search_statement(
    experiment_ids: tuple[int, ...],
    stages: tuple[str, ...],
    filter_string: str | None,
    order_by: tuple[str, ...],
    readable: tuple[str, tuple[str, ...]] | None,
) -> Select[Any]:
    query = RunQuery()
    for c in comparisons(parse_filter(filter_string, allow_or=False)):
        query.add_filter(c)
    order = query.order(order_by)
    scope: list[ColumnElement[bool]] = [
        Run.experiment_id.in_(list(experiment_ids)), Run.lifecycle_stage.in_(list(stages))
    ]
    if readable is not None:
        dialect, levels = readable
        scope.append(visibility.readable_condition(dialect, "experiments", Run.experiment_id, levels, "grantees"))
    return query.stmt.where(*scope, *query.where).order_by(*order)
