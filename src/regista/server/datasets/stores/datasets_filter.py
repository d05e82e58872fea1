"""Translate evaluation-dataset search filters, experiment scopes and order_by into one SQL statement.

Every user-supplied value is a bind parameter; identifiers are looked up in fixed tables, never formatted.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import InvalidParameter
from regista.server.db import visibility
from regista.server.db.models import EvaluationDataset, EvaluationDatasetExperiment, EvaluationDatasetTag
from regista.server.search.filter_parser import Comparison, comparisons, in_column_range, parse_filter
from regista.server.search.like import case_sensitive_like
from regista.server.search.order_by import parse_order_by

STRING_ATTRIBUTES: dict[str, Any] = {
    "name": EvaluationDataset.name,
    "dataset_id": EvaluationDataset.dataset_id,
    "created_by": EvaluationDataset.created_by,
    "last_updated_by": EvaluationDataset.last_updated_by,
    "digest": EvaluationDataset.digest,
}
NUMERIC_ATTRIBUTES: dict[str, Any] = {
    "created_time": EvaluationDataset.created_time,
    "last_update_time": EvaluationDataset.last_update_time,
}
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
NUMERIC_OPS = ("=", "!=", ">", ">=", "<", "<=")


def _string_compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "LIKE":
        return case_sensitive_like(column, value)
    if op == "ILIKE":
        return func.lower(column).like(func.lower(value))
    if op == "IN":
        return column.in_(list(value))  # type: ignore[no-any-return]
    return column.not_in(list(value))  # type: ignore[no-any-return]


def _numeric_compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    return {  # type: ignore[no-any-return]
        "=": column.__eq__, "!=": column.__ne__, ">": column.__gt__,
        ">=": column.__ge__, "<": column.__lt__, "<=": column.__le__,
    }[op](value)


def _attribute(c: Comparison) -> ColumnElement[bool]:
    key = c.ident.key
    if key in STRING_ATTRIBUTES:
        if c.op not in STRING_OPS:
            raise InvalidParameter(f"Invalid comparator for string attribute: {c.op}")
        if c.op not in ("IN", "NOT IN") and not isinstance(c.value, str):
            raise InvalidParameter(f"Value for attribute '{key}' must be a quoted string.")
        return _string_compare(STRING_ATTRIBUTES[key], c.op, c.value)
    if key in NUMERIC_ATTRIBUTES:
        if c.op not in NUMERIC_OPS:
            raise InvalidParameter(f"Invalid comparator for numeric attribute: {c.op}")
        if c.quoted or isinstance(c.value, float) or not isinstance(c.value, int):
            raise InvalidParameter(f"Invalid value for numeric attribute '{key}': {c.value!r}")
        return _numeric_compare(NUMERIC_ATTRIBUTES[key], c.op, in_column_range(c.value, key))
    valid = sorted(set(STRING_ATTRIBUTES) | set(NUMERIC_ATTRIBUTES))
    raise InvalidParameter(f"Invalid attribute key '{key}' specified. Valid keys are '{valid}'")


def _tag(c: Comparison) -> ColumnElement[bool]:
    t = EvaluationDatasetTag
    has_key = and_(t.dataset_id == EvaluationDataset.dataset_id, t.key == c.ident.key)
    if c.op not in ("=", "!=", "LIKE", "ILIKE"):
        raise InvalidParameter(f"Invalid comparator for tag: {c.op}")
    if not isinstance(c.value, str):
        raise InvalidParameter(f"Value for tag '{c.ident.key}' must be a quoted string.")
    return exists(select(1).where(has_key, _string_compare(t.value, c.op, c.value)))


def datasets_statement(
    experiment_ids: Sequence[int], filter_string: str | None, order_by: Sequence[str]
) -> Select[Any]:
    """SELECT evaluation_datasets linked to any of `experiment_ids` (all when empty) matching the filter,
    ordered (default newest first, dataset_id as the tie-breaker so pages never overlap)."""
    where: list[ColumnElement[bool]] = []
    if experiment_ids:
        link = EvaluationDatasetExperiment
        where.append(
            exists(
                select(1).where(
                    link.dataset_id == EvaluationDataset.dataset_id, link.experiment_id.in_(list(experiment_ids))
                )
            )
        )
    for c in comparisons(parse_filter(filter_string, allow_or=False)):
        if c.ident.kind == "attribute":
            where.append(_attribute(c))
        elif c.ident.kind == "tag":
            where.append(_tag(c))
        else:
            raise InvalidParameter(f"Invalid token type: {c.ident.kind}")
    order: list[Any] = []
    for clause in order_by:
        parsed = parse_order_by(clause)
        col = None
        if parsed.ident.kind == "attribute":
            col = STRING_ATTRIBUTES.get(parsed.ident.key, NUMERIC_ATTRIBUTES.get(parsed.ident.key))
        if col is None:
            raise InvalidParameter(f"Invalid order_by entity: {clause}")
        order.append(col.asc() if parsed.ascending else col.desc())
    if not order_by:
        order.append(EvaluationDataset.created_time.desc())
    order.append(EvaluationDataset.dataset_id.desc())
    return select(EvaluationDataset).where(*where).order_by(*order)


@cache
def readable_datasets(dialect: str, levels: tuple[str, ...]) -> ColumnElement[bool]:
    """Datasets the grantees bound as `grantees` (and owner bound as `owner`) may read: every linked
    experiment readable, or no link at all and created by the owner (built once)."""
    link = EvaluationDatasetExperiment
    readable = visibility.readable_condition(dialect, "experiments", link.experiment_id, levels, "grantees")
    linked = select(1).where(link.dataset_id == EvaluationDataset.dataset_id)
    unreadable_link = linked.where(not_(readable))
    return and_(
        not_(exists(unreadable_link)),
        or_(exists(linked), EvaluationDataset.owner_identity_id == bindparam("owner")),
    )
