"""Response shapes of the catalog domain, in its two dialects: the mlflow databricks-uc RPCs (`RegisteredModel`,
`ModelVersion` of databricks_uc_registry_messages.proto: 3-level `name`, string versions) and the
/api/2.1/unity-catalog API of the databricks-sdk (`CatalogInfo`, `SchemaInfo`, `RegisteredModelInfo`,
`ModelVersionInfo`)."""

from __future__ import annotations

from typing import Any

METASTORE_ID = "regista"


def full_model_name(row: Any) -> str:
    return f"{row.catalog_name}.{row.schema_name}.{row.name}"


def files_location(full_name: str, version: int | str) -> str:
    """Where the Files API serves a version's files (the databricks-sdk models artifact repository's path)."""
    return "/Models/" + full_name.replace(".", "/") + f"/{version}"


# -- mlflow databricks-uc ---------------------------------------------------------------------------------

def mlflow_model_json(row: Any, tags: dict[str, str | None], aliases: list[tuple[str, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": full_model_name(row),
        "creation_timestamp": row.created_at,
        "last_updated_timestamp": row.updated_at,
    }
    if row.created_by:
        out["user_id"] = row.created_by
    if row.comment is not None:
        out["description"] = row.comment
    if aliases:
        out["aliases"] = [{"alias": a, "version": str(v)} for a, v in aliases]
    if tags:
        out["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    return out


def mlflow_version_json(full_name: str, row: Any, tags: dict[str, str | None],
                        aliases: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": full_name,
        "version": str(row.version),
        "creation_timestamp": row.created_at,
        "last_updated_timestamp": row.updated_at,
        "source": row.source,
        "status": row.status,
        "storage_location": files_location(full_name, row.version),
    }
    if row.created_by:
        out["user_id"] = row.created_by
    if row.comment is not None:
        out["description"] = row.comment
    if row.run_id:
        out["run_id"] = row.run_id
    if row.logged_model_id:
        out["model_id"] = row.logged_model_id
    if aliases:
        out["aliases"] = [{"alias": a, "version": str(row.version)} for a in aliases]
    if tags:
        out["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    return out


# -- /api/2.1/unity-catalog ------------------------------------------------------------------------------

def _audit_fields(row: Any, owner: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "metastore_id": METASTORE_ID,
    }
    for key in ("created_by", "updated_by", "comment"):
        value = getattr(row, key)
        if value is not None:
            out[key] = value
    if owner is not None:
        out["owner"] = owner
    return out


def catalog_json(row: Any, owner: str | None) -> dict[str, Any]:
    return {"name": row.name, "full_name": row.name, "securable_type": "CATALOG", **_audit_fields(row, owner)}


def schema_json(row: Any, owner: str | None) -> dict[str, Any]:
    return {
        "name": row.name,
        "catalog_name": row.catalog_name,
        "full_name": f"{row.catalog_name}.{row.name}",
        **_audit_fields(row, owner),
    }


def alias_json(row: Any, alias: str, version: int) -> dict[str, Any]:
    return {
        "alias_name": alias,
        "version_num": version,
        "catalog_name": row.catalog_name,
        "schema_name": row.schema_name,
        "model_name": row.name,
    }


def model_info_json(row: Any, owner: str | None, aliases: list[tuple[str, int]] | None) -> dict[str, Any]:
    out = {
        "name": row.name,
        "catalog_name": row.catalog_name,
        "schema_name": row.schema_name,
        "full_name": full_model_name(row),
        "storage_location": files_location(full_model_name(row), "")[:-1],
        **_audit_fields(row, owner),
    }
    if aliases is not None:
        out["aliases"] = [alias_json(row, a, v) for a, v in aliases]
    return out


def version_info_json(model: Any, row: Any, aliases: list[str] | None) -> dict[str, Any]:
    full_name = full_model_name(model)
    out: dict[str, Any] = {
        "model_name": model.name,
        "catalog_name": model.catalog_name,
        "schema_name": model.schema_name,
        "version": row.version,
        "source": row.source,
        "status": row.status,
        "storage_location": files_location(full_name, row.version),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "metastore_id": METASTORE_ID,
    }
    for key in ("created_by", "updated_by", "comment", "run_id"):
        value = getattr(row, key)
        if value is not None:
            out[key] = value
    if aliases is not None:
        out["aliases"] = [alias_json(model, a, row.version) for a in aliases]
    return out
