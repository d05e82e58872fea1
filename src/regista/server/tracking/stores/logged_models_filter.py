"""Translate logged-model search filters, dataset scopes and order_by objects into one SQL statement."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, case, exists, false, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import InvalidParameter
from regista.server.db import visibility
from regista.server.db.models import LoggedModel, LoggedModelMetric, LoggedModelParam, LoggedModelTag
from regista.server.search.filter_parser import Comparison, comparisons, in_column_range, parse_filter
from regista.server.tracking.stores.experiments_filter import numeric_compare, string_compare

STRING_ATTRIBUTES: dict[str, Any] = {
    "name": LoggedModel.name,
    "model_id": LoggedModel.model_id,
    "model_type": LoggedModel.model_type,
    "status": LoggedModel.status,
    "source_run_id": LoggedModel.source_run_id,
}
NUMERIC_ATTRIBUTES: dict[str, Any] = {
    "creation_timestamp": LoggedModel.creation_timestamp_ms,
    "creation_time": LoggedModel.creation_timestamp_ms,
    "creation_timestamp_ms": LoggedModel.creation_timestamp_ms,
    "last_updated_timestamp": LoggedModel.last_updated_timestamp_ms,
    "last_updated_time": LoggedModel.last_updated_timestamp_ms,
    "last_updated_timestamp_ms": LoggedModel.last_updated_timestamp_ms,
}
NUMERIC_OPS = ("=", "!=", ">", ">=", "<", "<=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")


@cache
def readable_logged_models(dialect: str, levels: tuple[str, ...]) -> ColumnElement[bool]:
    """Models of experiments on which the grantees bound as `grantees` hold one of `levels` (built once)."""
    return visibility.readable_condition(dialect, "experiments", LoggedModel.experiment_id, levels, "grantees")


def _dataset_scope(datasets: Sequence[tuple[str | None, str | None]]) -> ColumnElement[bool] | None:
    """Restrict metric rows to the given datasets (name, optionally digest)."""
    if not datasets:
        return None
    alts = []
    for name, digest in datasets:
        cond = LoggedModelMetric.dataset_name == name
        if digest:
            cond = and_(cond, LoggedModelMetric.dataset_digest == digest)
        alts.append(cond)
    return or_(*alts)


def _attribute(c: Comparison) -> ColumnElement[bool]:
    key = c.ident.key
    if key in STRING_ATTRIBUTES:
        if c.op not in STRING_OPS:
            raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute '{key}'.")
        if c.op not in ("IN", "NOT IN") and not isinstance(c.value, str):
            raise InvalidParameter(f"Value for attribute '{key}' must be a quoted string.")
        return string_compare(STRING_ATTRIBUTES[key], c.op, c.value)
    if key in NUMERIC_ATTRIBUTES:
        if c.op not in NUMERIC_OPS or not isinstance(c.value, (int, float)):
            raise InvalidParameter(f"Invalid comparison for numeric attribute '{key}'.")
        return numeric_compare(NUMERIC_ATTRIBUTES[key], c.op, in_column_range(c.value, key))
    valid = sorted(set(STRING_ATTRIBUTES) | set(NUMERIC_ATTRIBUTES))
    raise InvalidParameter(f"Invalid attribute key '{key}' specified. Valid keys are '{valid}'")


def _metric(c: Comparison, scope: ColumnElement[bool] | None) -> ColumnElement[bool]:
    if c.op not in NUMERIC_OPS or c.quoted or not isinstance(c.value, (int, float)):
        raise InvalidParameter(f"Invalid comparison for metric '{c.ident.key}': expected a number.")
    m = LoggedModelMetric
    cond = numeric_compare(m.value, c.op, float(c.value))
    cond = or_(m.is_nan == true(), cond) if c.op == "!=" else and_(m.is_nan == false(), cond)
    where = [m.model_id == LoggedModel.model_id, m.key == c.ident.key, cond]
    if scope is not None:
        where.append(scope)
    return exists(select(1).where(*where))


def _keyed(c: Comparison, table: Any) -> ColumnElement[bool]:
    has_key = and_(table.model_id == LoggedModel.model_id, table.key == c.ident.key)
    if c.op == "IS NULL":
        return not_(exists(select(1).where(has_key)))
    if c.op == "IS NOT NULL":
        return exists(select(1).where(has_key))
    if c.op not in STRING_OPS:
        raise InvalidParameter(f"Invalid comparator '{c.op}' for '{c.ident.kind}.{c.ident.key}'.")
    return exists(select(1).where(has_key, string_compare(table.value, c.op, c.value)))


def logged_models_statement(
    experiment_ids: Sequence[int],
    filter_string: str | None,
    datasets: Sequence[tuple[str | None, str | None]],
    order_by: Sequence[tuple[str, bool, str | None, str | None]],
) -> Select[Any]:
    """SELECT logged_models in the experiments matching the filter, ordered (default newest first)."""
    scope = _dataset_scope(datasets)
    where: list[ColumnElement[bool]] = [
        LoggedModel.experiment_id.in_(list(experiment_ids)),
        LoggedModel.lifecycle_stage == "active",
    ]
    for c in comparisons(parse_filter(filter_string, allow_or=False)):
        kind = c.ident.kind
        if kind == "attribute":
            where.append(_attribute(c))
        elif kind == "metric":
            where.append(_metric(c, scope))
        elif kind == "param":
            where.append(_keyed(c, LoggedModelParam))
        elif kind == "tag":
            where.append(_keyed(c, LoggedModelTag))
        else:
            raise InvalidParameter(f"Invalid entity type '{kind}' in logged model filter.")
    if scope is not None and not any(
        c.ident.kind == "metric" for c in comparisons(parse_filter(filter_string))
    ):
        # A dataset scope without metric filters keeps models that have metrics on those datasets.
        where.append(exists(select(1).where(LoggedModelMetric.model_id == LoggedModel.model_id, scope)))
    stmt: Select[Any] = select(LoggedModel)
    order: list[Any] = []
    for field, ascending, ds_name, ds_digest in order_by:
        if field.startswith("metrics."):
            key = field[len("metrics.") :]
            m = LoggedModelMetric
            conds = [m.key == key]
            if ds_name:
                conds.append(m.dataset_name == ds_name)
                if ds_digest:
                    conds.append(m.dataset_digest == ds_digest)
            ranked = (
                select(
                    m.model_id,
                    m.value,
                    m.is_nan,
                    func.row_number()
                    .over(partition_by=m.model_id, order_by=(m.timestamp.desc(), m.step.desc()))
                    .label("rn"),
                )
                .where(*conds)
                .subquery()
            )
            stmt = stmt.join(
                ranked, and_(ranked.c.model_id == LoggedModel.model_id, ranked.c.rn == 1), isouter=True
            )
            order += [
                case((ranked.c.model_id.is_(None), 2), (ranked.c.is_nan == true(), 1), else_=0),
                ranked.c.value.asc() if ascending else ranked.c.value.desc(),
            ]
            continue
        col = STRING_ATTRIBUTES.get(field)
        if col is None:
            col = NUMERIC_ATTRIBUTES.get(field)
        if col is None:
            raise InvalidParameter(f"Invalid order by field name '{field}'.")
        order += [case((col.is_(None), 1), else_=0), col.asc() if ascending else col.desc()]
    if not order_by:
        order.append(LoggedModel.creation_timestamp_ms.desc())
    order.append(LoggedModel.model_id.asc())
    return stmt.where(*where).order_by(*order)
