"""Lineage of Unity Catalog versions: the datasets and tables the source run read (mlflow.log_input),
recorded on the version at registration, and queryable both ways (the sources behind a version; the
versions trained on a table, filtered by the caller's privileges inside the query)."""

from __future__ import annotations

from typing import Any

import orjson

from regista.errors import InvalidParameter, NotFound, PermissionDenied
from regista.server.catalog.services import privileges as priv
from regista.server.catalog.stores import lineage_audit as store
from regista.server.context import Context
from regista.server.tracking.services import runs

CONTEXT_TAG = "mlflow.data.context"
MAX_VERSIONS = 1000


def _table_name(dataset: dict[str, Any]) -> str:
    """A Delta table source is known by its table name; any other dataset by its name."""
    if dataset.get("source_type") == "delta_table":
        try:
            source = orjson.loads(dataset.get("source") or "{}")
        except orjson.JSONDecodeError:
            source = {}
        if isinstance(source, dict) and source.get("delta_table_name"):
            return str(source["delta_table_name"])
    return str(dataset.get("name", ""))


def record_run_inputs(ctx: Context, model_id: int, version: int, run_id: str) -> None:
    """Record the datasets `run_id` logged as inputs. A run the caller cannot read, or that does not exist
    here, records nothing (its inputs are not the caller's to disclose)."""
    try:
        run = runs.get_run(ctx, run_id)
    except (NotFound, PermissionDenied, InvalidParameter):
        return
    sources = []
    for item in run.get("inputs", {}).get("dataset_inputs", []):
        dataset = item.get("dataset", {})
        context = next((t.get("value") for t in item.get("tags", []) if t.get("key") == CONTEXT_TAG), None)
        sources.append({
            "name": _table_name(dataset)[:500],
            "digest": str(dataset.get("digest", ""))[:64],
            "source_type": dataset.get("source_type"),
            "source": dataset.get("source"),
            "context": context,
        })
    store.insert_lineage(ctx.conn, model_id, version, sources)


def upstream_json(row: Any) -> dict[str, Any]:
    out = {"name": row.name, "digest": row.digest}
    for key in ("source_type", "source", "context"):
        value = getattr(row, key)
        if value is not None:
            out[key] = value
    return out


def sources_of_version(ctx: Context, model_id: int, version: int) -> list[dict[str, Any]]:
    """The tables / datasets behind a version (the caller already may read it)."""
    return [upstream_json(r) for r in store.lineage_of(ctx.conn, model_id, version)]


def versions_trained_on(ctx: Context, table: str) -> list[dict[str, Any]]:
    """The versions (that the caller may read) whose run read `table`."""
    if not table:
        raise InvalidParameter("Missing value for required parameter 'table_name'.")
    rows = store.versions_from_table(ctx.conn, table, priv.models_visible(ctx), ctx.principal.grantee_ids,
                                     MAX_VERSIONS)
    return [
        {"catalog_name": c, "schema_name": s, "model_name": m, "full_name": f"{c}.{s}.{m}", "version": v,
         "status": status}
        for c, s, m, v, status in rows
    ]
