"""SQL for traces: their rows, tags and metadata, searches, deletion, and the spans received over OTLP."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.sql.expression import ColumnElement

from regista.errors import NotFound
from regista.server.db.models import Assessment, Trace, TraceMetadata, TraceRunLink, TraceSpan, TraceTag

_KEYED: dict[str, type[TraceTag] | type[TraceMetadata]] = {"tags": TraceTag, "metadata": TraceMetadata}


def not_found(trace_id: str) -> NotFound:
    # MLflow's wording; the client recognises "Trace with ID 'get' not found" from old servers.
    return NotFound(f"Trace with ID {trace_id} not found.")


def find_trace(conn: Connection, trace_id: str) -> Any | None:
    return conn.execute(select(Trace).where(Trace.trace_id == trace_id)).first()


def get_trace(conn: Connection, trace_id: str) -> Any:
    row = find_trace(conn, trace_id)
    if row is None:
        raise not_found(trace_id)
    return row


def insert_trace(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(Trace).values(**values))


def update_trace(conn: Connection, trace_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(Trace).where(Trace.trace_id == trace_id).values(**values))


def put_entries(conn: Connection, kind: str, trace_id: str, entries: dict[str, str]) -> None:
    """Set tags or metadata (`kind`), replacing the values of keys already there."""
    if not entries:
        return
    table = _KEYED[kind]
    conn.execute(delete(table).where(table.trace_id == trace_id, table.key.in_(list(entries))))
    conn.execute(insert(table), [{"trace_id": trace_id, "key": k, "value": v} for k, v in entries.items()])


def delete_entry(conn: Connection, kind: str, trace_id: str, key: str) -> int:
    table = _KEYED[kind]
    return conn.execute(delete(table).where(table.trace_id == trace_id, table.key == key)).rowcount


def entries_for(conn: Connection, kind: str, trace_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """{trace id: {key: value}} for the tags or metadata of a page of traces, in one query."""
    table = _KEYED[kind]
    out: dict[str, dict[str, str]] = defaultdict(dict)
    if trace_ids:
        rows = conn.execute(select(table.trace_id, table.key, table.value)
                            .where(table.trace_id.in_(list(trace_ids))).order_by(table.trace_id, table.key))
        for trace_id, key, value in rows:
            out[trace_id][key] = value
    return out


def traces_by_ids(conn: Connection, trace_ids: Sequence[str]) -> list[Any]:
    if not trace_ids:
        return []
    return list(conn.execute(select(Trace).where(Trace.trace_id.in_(list(trace_ids)))))


def search(conn: Connection, experiment_ids: Sequence[int], where: ColumnElement[bool] | None,
           order_by: list[Any], offset: int, limit: int | None) -> list[Any]:
    query = select(Trace).where(Trace.experiment_id.in_(list(experiment_ids)))
    if where is not None:
        query = query.where(where)
    query = query.order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query))


def count(conn: Connection, experiment_ids: Sequence[int], *conditions: ColumnElement[bool] | None) -> int:
    query = select(func.count()).select_from(Trace).where(Trace.experiment_id.in_(list(experiment_ids)))
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return int(conn.execute(query).scalar_one())


def ids_to_delete(conn: Connection, experiment_id: int, max_timestamp_ms: int | None, max_traces: int | None,
                  trace_ids: Sequence[str]) -> list[str]:
    """The experiment's traces a DeleteTraces request names: the given ids, or the oldest ones up to
    `max_timestamp_ms`, at most `max_traces` of them."""
    query = select(Trace.trace_id).where(Trace.experiment_id == experiment_id)
    if trace_ids:
        query = query.where(Trace.trace_id.in_(list(trace_ids)))
    if max_timestamp_ms is not None:
        query = query.where(Trace.request_time <= max_timestamp_ms)
    query = query.order_by(Trace.request_time.asc(), Trace.trace_id.asc())
    if max_traces is not None:
        query = query.limit(max_traces)
    return [row[0] for row in conn.execute(query)]


def delete_traces(conn: Connection, trace_ids: Sequence[str]) -> None:
    ids = list(trace_ids)
    # Children first: SQLite enforces the cascades, but an explicit delete keeps both backends alike.
    for table in (TraceTag, TraceMetadata, Assessment, TraceRunLink):
        conn.execute(delete(table).where(table.trace_id.in_(ids)))
    conn.execute(delete(TraceSpan).where(TraceSpan.trace_id.in_(ids)))
    conn.execute(delete(Trace).where(Trace.trace_id.in_(ids)))


# ------------------------------------------------------------------------------------------- OTLP spans


def put_spans(conn: Connection, experiment_id: int, spans: Sequence[tuple[str, str, str, int, str]]) -> None:
    """Store (trace id, span id, name, start ns, JSON) spans; a span sent again replaces the earlier copy."""
    for trace_id, span_id, name, start, content in spans:
        conn.execute(delete(TraceSpan).where(TraceSpan.trace_id == trace_id, TraceSpan.span_id == span_id))
        conn.execute(insert(TraceSpan).values(trace_id=trace_id, span_id=span_id, experiment_id=experiment_id,
                                              name=name, start_time_ns=start, content=content))


def spans_of(conn: Connection, trace_id: str) -> list[str]:
    rows = conn.execute(select(TraceSpan.content).where(TraceSpan.trace_id == trace_id)
                        .order_by(TraceSpan.start_time_ns, TraceSpan.span_id))
    return [row[0] for row in rows]


def link_to_run(conn: Connection, trace_ids: Sequence[str], run_id: str) -> None:
    ids = list(trace_ids)
    conn.execute(delete(TraceRunLink).where(TraceRunLink.run_id == run_id, TraceRunLink.trace_id.in_(ids)))
    conn.execute(insert(TraceRunLink), [{"trace_id": t, "run_id": run_id} for t in ids])


def span_experiments(conn: Connection, trace_ids: Sequence[str]) -> set[int]:
    """The experiments holding spans already stored for any of `trace_ids`."""
    if not trace_ids:
        return set()
    rows = conn.execute(select(TraceSpan.experiment_id).where(TraceSpan.trace_id.in_(list(trace_ids))).distinct())
    return {row[0] for row in rows}
