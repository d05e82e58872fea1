"""MLflow's trace search grammar (SearchTraceUtils) as SQL: every value is a bound parameter.

Identifiers: attributes (`trace_id`/`request_id`, `timestamp[_ms]`, `execution_time[_ms]`, `end_time[_ms]`,
`status`/`state`, `client_request_id`, `name` (the mlflow.traceName tag), `run_id` (the mlflow.sourceRun
metadata), `text` (the spans' content and the request/response previews)), `tags.<key>`,
`metadata.<key>`, `span.name`, and `feedback.<name>` / `expectation.<name>` for an assessment's value.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import and_, exists, func, literal, not_, or_, select, true
from sqlalchemy.sql.expression import ColumnElement

from regista.errors import InvalidParameter
from regista.server.db.models import Assessment, Trace, TraceMetadata, TraceRunLink, TraceSpan, TraceTag
from regista.server.search.filter_parser import And, Comparison, Node, Or, in_column_range, parse_filter
from regista.server.search.like import case_sensitive_like

PREFIXES = {
    "tag": "tag", "tags": "tag",
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute", "trace": "attribute",
    "metadata": "metadata", "request_metadata": "metadata",
    "span": "span", "feedback": "feedback", "expectation": "expectation",
}
TRACE_NAME_TAG = "mlflow.traceName"
SOURCE_RUN_METADATA = "mlflow.sourceRun"
_NUMERIC = {"timestamp": "request_time", "timestamp_ms": "request_time", "execution_time": "execution_duration",
            "execution_time_ms": "execution_duration", "end_time": "end", "end_time_ms": "end"}
_STRING = {"request_id": "trace_id", "trace_id": "trace_id", "status": "state", "state": "state",
           "client_request_id": "client_request_id"}
_NUMERIC_OPS = ("=", "!=", ">", ">=", "<", "<=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_KEYED_OPS = ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL")


def _invalid(comp: Comparison, why: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid filter clause on '{comp.ident.kind}.{comp.ident.key}': {why}")


def _text_match(column: Any, comp: Comparison) -> ColumnElement[bool]:
    """`column <op> value` for a string column and a string comparator."""
    op, value = comp.op, comp.value
    if op in ("IN", "NOT IN"):
        assert isinstance(value, tuple)
        cond: ColumnElement[bool] = column.in_(value)
        return not_(cond) if op == "NOT IN" else cond
    if not isinstance(value, str):
        value = str(value)
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "LIKE":
        return case_sensitive_like(column, value)
    if op == "ILIKE":
        return func.lower(column).like(func.lower(literal(value)))
    raise _invalid(comp, f"comparator '{op}' is not supported here.")


def _keyed(table: Any, key: str, comp: Comparison) -> ColumnElement[bool]:
    """A condition on the trace's tag or metadata entry `key` (IS NULL: the trace has no such entry)."""
    if comp.op not in _KEYED_OPS:
        raise _invalid(comp, f"comparator '{comp.op}' is not supported; use one of {list(_KEYED_OPS)}.")
    owned = and_(table.trace_id == Trace.trace_id, table.key == key)
    if comp.op == "IS NULL":
        return not_(exists().where(owned))
    if comp.op == "IS NOT NULL":
        return exists().where(owned)
    return exists().where(owned, _text_match(table.value, comp))


def _attribute(comp: Comparison) -> ColumnElement[bool]:
    key = comp.ident.key
    if key in _NUMERIC:
        if comp.op not in _NUMERIC_OPS or isinstance(comp.value, (tuple, str)) or comp.value is None:
            raise _invalid(comp, f"expected a number and one of {list(_NUMERIC_OPS)}.")
        value = in_column_range(comp.value, key)
        column: Any = (Trace.request_time + func.coalesce(Trace.execution_duration, 0)
                       if _NUMERIC[key] == "end" else getattr(Trace, _NUMERIC[key]))
        conditions: dict[str, ColumnElement[bool]] = {
            "=": column == value, "!=": column != value, ">": column > value, ">=": column >= value,
            "<": column < value, "<=": column <= value}
        return conditions[comp.op]
    if key in _STRING:
        if comp.op not in _STRING_OPS:
            raise _invalid(comp, f"comparator '{comp.op}' is not supported; use one of {list(_STRING_OPS)}.")
        return _text_match(getattr(Trace, _STRING[key]), comp)
    if key == "name":
        return _keyed(TraceTag, TRACE_NAME_TAG, comp)
    if key == "run_id":
        # The run a trace was created in (its metadata), or one it was linked to later.
        if comp.op not in ("=", "IN"):
            raise _invalid(comp, "run_id is matched with = or IN.")
        linked = exists().where(TraceRunLink.trace_id == Trace.trace_id, _text_match(TraceRunLink.run_id, comp))
        created_in = exists().where(TraceMetadata.trace_id == Trace.trace_id,
                                    TraceMetadata.key == SOURCE_RUN_METADATA, _text_match(TraceMetadata.value, comp))
        return or_(created_in, linked)
    if key == "text":
        if comp.op not in ("LIKE", "ILIKE"):
            raise _invalid(comp, "full-text search takes LIKE or ILIKE.")
        in_spans = exists().where(TraceSpan.trace_id == Trace.trace_id, _text_match(TraceSpan.content, comp))
        return or_(in_spans, _text_match(Trace.request_preview, comp), _text_match(Trace.response_preview, comp))
    raise InvalidParameter(
        f"Invalid attribute key '{key}' in trace filter. Valid keys are: "
        "['client_request_id', 'end_time', 'execution_time', 'name', 'request_id', 'run_id', 'status', 'text', "
        "'timestamp']."
    )


def _assessment(comp: Comparison) -> ColumnElement[bool]:
    owned = and_(Assessment.trace_id == Trace.trace_id, Assessment.name == comp.ident.key,
                 Assessment.kind == comp.ident.kind, Assessment.valid == true())
    if comp.op == "IS NULL":
        return not_(exists().where(owned))
    if comp.op == "IS NOT NULL":
        return exists().where(owned)
    if comp.op not in ("=", "!="):
        raise _invalid(comp, "assessments are compared with =, !=, IS NULL or IS NOT NULL.")
    # The stored value is the JSON of {"value": v}: a filter value matches as a string, and also as the
    # JSON literal it spells ('true', '4', '"x"'), as MLflow compares feedback values by their JSON text.
    candidates = [orjson.dumps({"value": comp.value}).decode()]
    if isinstance(comp.value, str):
        try:
            candidates.append(orjson.dumps({"value": orjson.loads(comp.value)}).decode())
        except orjson.JSONDecodeError:
            pass
    match = Assessment.value.in_(candidates)
    return exists().where(owned, match if comp.op == "=" else not_(match))


def _comparison(comp: Comparison) -> ColumnElement[bool]:
    kind = comp.ident.kind
    if kind == "attribute":
        return _attribute(comp)
    if kind == "tag":
        return _keyed(TraceTag, comp.ident.key, comp)
    if kind == "metadata":
        return _keyed(TraceMetadata, comp.ident.key, comp)
    if kind == "span":
        if comp.ident.key != "name" or comp.op not in _STRING_OPS:
            raise _invalid(comp, "spans are searched by span.name with one of " f"{list(_STRING_OPS)}.")
        return exists().where(TraceSpan.trace_id == Trace.trace_id, _text_match(TraceSpan.name, comp))
    return _assessment(comp)


def _where(node: Node) -> ColumnElement[bool]:
    if isinstance(node, Comparison):
        return _comparison(node)
    parts = [_where(item) for item in node.items]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


def trace_where(filter_string: str | None) -> ColumnElement[bool] | None:
    """The WHERE condition of a trace filter (None for an empty one); 400 for anything MLflow would refuse."""
    node = parse_filter(filter_string, prefixes=PREFIXES)
    if node is None:
        return None
    if isinstance(node, Or):
        raise InvalidParameter("Invalid trace filter: OR is not supported; join clauses with AND.")
    return _where(node)


_ORDER_KEYS = {"timestamp": "request_time", "timestamp_ms": "request_time", "execution_time": "execution_duration",
               "execution_time_ms": "execution_duration", "status": "state", "request_id": "trace_id",
               "trace_id": "trace_id", "experiment_id": "experiment_id"}


def trace_order_by(clauses: list[str]) -> list[Any]:
    """ORDER BY terms for MLflow's trace order_by clauses; newest first by default, trace id breaking ties."""
    terms: list[Any] = []
    for clause in clauses:
        words = clause.strip().split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise InvalidParameter(f"Invalid order_by clause '{clause}'.")
        key = words[0].split(".", 1)[1] if words[0].split(".", 1)[0] in ("attribute", "attributes", "trace") \
            and "." in words[0] else words[0]
        ascending = len(words) == 1 or words[1].upper() == "ASC"
        column: Any
        if key in _ORDER_KEYS:
            column = getattr(Trace, _ORDER_KEYS[key])
        elif key in ("end_time", "end_time_ms"):
            column = Trace.request_time + func.coalesce(Trace.execution_duration, 0)
        elif key in ("name", "run_id"):
            table, entry = (TraceTag, TRACE_NAME_TAG) if key == "name" else (TraceMetadata, SOURCE_RUN_METADATA)
            column = select(table.value).where(table.trace_id == Trace.trace_id, table.key == entry) \
                .scalar_subquery()
        else:
            raise InvalidParameter(f"Invalid order_by key '{words[0]}' for traces.")
        terms.append(column.asc() if ascending else column.desc())
    if not clauses:
        terms.append(Trace.request_time.desc())
    terms.append(Trace.trace_id.asc())
    return terms
