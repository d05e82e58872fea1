"""Translate experiment search filters and order_by clauses into SQLAlchemy where / order clauses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, not_, select
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX, INT32_MIN, IntegerValueError, to_int
from regista.server.db.models import Experiment, ExperimentTag
from regista.server.search.filter_parser import Comparison, comparisons, in_column_range, parse_filter
from regista.server.search.like import case_sensitive_like
from regista.server.search.order_by import parse_order_by

_STRING_ATTRS = {"name": Experiment.name}
_NUMERIC_ATTRS = {
    "creation_time": Experiment.creation_time,
    "last_update_time": Experiment.last_update_time,
}
_STRING_OPS = {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}
_NUMERIC_OPS = {"=", "!=", ">", ">=", "<", "<="}
_TAG_OPS = {"=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"}


def string_compare(column: SQLCoreOperations[Any], op: str, value: Any) -> ColumnElement[bool]:
    """column <op> value for the string comparators (LIKE case-sensitive, ILIKE case-insensitive)."""
    # Annotated: with `value: Any` the operators' overloads (None or not) leave the result untyped.
    if op == "=":
        equal: ColumnElement[bool] = column == value
        return equal
    if op == "!=":
        unequal: ColumnElement[bool] = column != value
        return unequal
    if op == "LIKE":
        return case_sensitive_like(column, value)
    if op == "ILIKE":
        return func.lower(column).like(func.lower(value))
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    raise InvalidParameter(f"Invalid comparator '{op}'.")


def numeric_compare(column: SQLCoreOperations[Any], op: str, value: Any) -> ColumnElement[bool]:
    ops = {
        "=": column.__eq__,
        "!=": column.__ne__,
        ">": column.__gt__,
        ">=": column.__ge__,
        "<": column.__lt__,
        "<=": column.__le__,
    }
    return ops[op](value)


def _attribute(c: Comparison) -> ColumnElement[bool]:
    key = c.ident.key
    if key in _STRING_ATTRS:
        if c.op not in _STRING_OPS:
            raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute '{key}'.")
        if c.op in ("IN", "NOT IN"):
            return string_compare(_STRING_ATTRS[key], c.op, c.value)
        if not isinstance(c.value, str):
            raise InvalidParameter(f"Expected a quoted string value for attribute '{key}'.")
        return string_compare(_STRING_ATTRS[key], c.op, c.value)
    if key == "experiment_id":
        if c.op in ("IN", "NOT IN"):
            try:
                ids = [to_int(v, INT32_MIN, INT32_MAX) for v in c.value]  # type: ignore[union-attr]  # IN: a tuple
            except IntegerValueError:
                raise InvalidParameter("experiment_id values must be integers.") from None
            col = Experiment.experiment_id
            return col.in_(ids) if c.op == "IN" else col.not_in(ids)
        if c.op not in ("=", "!="):
            raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute 'experiment_id'.")
        try:
            value = to_int(c.value, INT32_MIN, INT32_MAX)
        except IntegerValueError:
            raise InvalidParameter("experiment_id values must be integers.") from None
        return numeric_compare(Experiment.experiment_id, c.op, value)
    if key in _NUMERIC_ATTRS:
        if c.op not in _NUMERIC_OPS or isinstance(c.value, (str, tuple)) or c.value is None:
            raise InvalidParameter(f"Invalid comparison for numeric attribute '{key}': expected a number.")
        return numeric_compare(_NUMERIC_ATTRS[key], c.op, in_column_range(c.value, key))
    raise InvalidParameter(
        f"Invalid attribute key '{key}' specified. Valid keys are "
        "['name', 'experiment_id', 'creation_time', 'last_update_time']"
    )


def _tag(c: Comparison) -> ColumnElement[bool]:
    if c.op not in _TAG_OPS:
        raise InvalidParameter(f"Invalid comparator '{c.op}' for tag '{c.ident.key}'.")
    has_key = and_(ExperimentTag.experiment_id == Experiment.experiment_id, ExperimentTag.key == c.ident.key)
    if c.op == "IS NULL":
        return not_(exists(select(1).where(has_key)))
    if c.op == "IS NOT NULL":
        return exists(select(1).where(has_key))
    if not isinstance(c.value, str):
        raise InvalidParameter(f"Expected a quoted string value for tag '{c.ident.key}'.")
    return exists(select(1).where(has_key, string_compare(ExperimentTag.value, c.op, c.value)))


def experiment_where(filter_string: str | None) -> list[ColumnElement[bool]]:
    """WHERE clauses (AND-ed) for an experiment search filter."""
    clauses: list[ColumnElement[bool]] = []
    for c in comparisons(parse_filter(filter_string, allow_or=False)):
        if c.ident.kind == "attribute":
            clauses.append(_attribute(c))
        elif c.ident.kind == "tag":
            clauses.append(_tag(c))
        else:
            raise InvalidParameter(
                f"Invalid entity type '{c.ident.kind}' in experiment filter. Valid values are "
                "['attribute', 'tag']."
            )
    return clauses


_ORDER_COLUMNS: dict[str, Any] = {
    "name": Experiment.name,
    "experiment_id": Experiment.experiment_id,
    "creation_time": Experiment.creation_time,
    "last_update_time": Experiment.last_update_time,
}


def experiment_order_by(clauses: Sequence[str]) -> list[Any]:
    """ORDER BY for experiments; default creation_time DESC, experiment_id ASC as tie-breaker."""
    out: list[Any] = []
    seen_id = False
    for text in clauses:
        ob = parse_order_by(text)
        if ob.ident.kind != "attribute" or ob.ident.key not in _ORDER_COLUMNS:
            raise InvalidParameter(
                f"Invalid order_by entity '{text}'. Valid keys are {sorted(_ORDER_COLUMNS)}."
            )
        col = _ORDER_COLUMNS[ob.ident.key]
        seen_id = seen_id or ob.ident.key == "experiment_id"
        out.append(col.asc() if ob.ascending else col.desc())
    if not clauses:
        out.append(Experiment.creation_time.desc())
    if not seen_id:
        out.append(Experiment.experiment_id.asc())
    return out
