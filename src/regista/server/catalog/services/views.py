"""Wire views of Unity Catalog models and versions, in a fixed number of queries per page (tags, aliases
and owner names gathered for all rows at once)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regista.server.catalog.schemas.uc_json import (
    mlflow_model_json,
    mlflow_version_json,
    model_info_json,
    version_info_json,
)
from regista.server.catalog.services.owners import owner_names
from regista.server.catalog.stores import uc_models as model_store
from regista.server.catalog.stores import uc_versions as version_store
from regista.server.context import Context


def _full(row: Any) -> str:
    return f"{row.catalog_name}.{row.schema_name}.{row.name}"


def mlflow_models(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    tags = model_store.tags_of(ctx.conn, ids)
    aliases = model_store.aliases_of(ctx.conn, ids)
    return [mlflow_model_json(r, tags.get(r.id, {}), aliases.get(r.id, [])) for r in rows]


def _version_aliases(ctx: Context, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    out: dict[tuple[int, int], list[str]] = {}
    for model_id, entries in model_store.aliases_of(ctx.conn, sorted({p[0] for p in pairs})).items():
        for alias, version in entries:
            out.setdefault((model_id, version), []).append(alias)
    return out


def mlflow_versions(ctx: Context, items: Sequence[tuple[str, Any]]) -> list[dict[str, Any]]:
    """(full model name, version row) pairs as mlflow ModelVersion messages, with tags and aliases."""
    pairs = [(row.model_id, row.version) for _, row in items]
    tags = version_store.tags_of(ctx.conn, pairs)
    aliases = _version_aliases(ctx, pairs)
    return [
        mlflow_version_json(name, row, tags.get((row.model_id, row.version), {}),
                            aliases.get((row.model_id, row.version), []))
        for name, row in items
    ]


def model_infos(ctx: Context, rows: Sequence[Any], include_aliases: bool) -> list[dict[str, Any]]:
    aliases = model_store.aliases_of(ctx.conn, [r.id for r in rows]) if include_aliases else {}
    return [
        model_info_json(r, owner, aliases.get(r.id, []) if include_aliases else None)
        for r, owner in zip(rows, owner_names(ctx, rows), strict=True)
    ]


def version_infos(ctx: Context, model: Any, rows: Sequence[Any], include_aliases: bool) -> list[dict[str, Any]]:
    aliases = _version_aliases(ctx, [(r.model_id, r.version) for r in rows]) if include_aliases else {}
    return [
        version_info_json(model, r, aliases.get((r.model_id, r.version), []) if include_aliases else None)
        for r in rows
    ]


def full_name(row: Any) -> str:
    return _full(row)
