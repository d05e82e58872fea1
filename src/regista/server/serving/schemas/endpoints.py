"""Request messages of the serving-endpoints API (serving.ServingEndpointsAPI as the databricks-sdk sends
them) and the response shapes built from an endpoint row."""

from __future__ import annotations

from typing import Any

import orjson

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32


class ServedEntityInput(Message):
    name: str | None = None
    entity_name: str | None = None
    entity_version: str | None = None
    workload_size: str | None = None
    workload_type: str | None = None
    scale_to_zero_enabled: bool | None = None
    min_provisioned_concurrency: Int32 | None = None
    max_provisioned_concurrency: Int32 | None = None
    environment_vars: dict[str, str] | None = None
    external_model: dict[str, Any] | None = None


class ServedModelInput(Message):
    """The legacy form of a served entity (model_name / model_version)."""

    name: str | None = None
    model_name: str
    model_version: str
    workload_size: str | None = None
    workload_type: str | None = None
    scale_to_zero_enabled: bool | None = None
    min_provisioned_concurrency: Int32 | None = None
    max_provisioned_concurrency: Int32 | None = None
    environment_vars: dict[str, str] | None = None


class Route(Message):
    served_entity_name: str | None = None
    served_model_name: str | None = None
    traffic_percentage: Int32


class TrafficConfig(Message):
    routes: list[Route] = []


class EndpointCoreConfigInput(Message):
    served_entities: list[ServedEntityInput] = []
    served_models: list[ServedModelInput] = []
    traffic_config: TrafficConfig | None = None
    auto_capture_config: dict[str, Any] | None = None


class CreateServingEndpoint(Message):
    name: str
    config: EndpointCoreConfigInput | None = None
    tags: list[KeyValue] = []
    rate_limits: list[Any] = []
    description: str | None = None
    route_optimized: bool | None = None


class PutRateLimits(Message):
    rate_limits: list[Any] = []


class GetUsage(Message):
    max_results: Int32 = 1000


def loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _entity_json(entity: dict[str, Any], served: dict[str, Any], creator: str, created: int) -> dict[str, Any]:
    """A served entity as the API shows it: the version actually served (an alias or stage resolved), and
    its deployment state."""
    out = {k: v for k, v in entity.items() if v is not None and k != "entity_version"}
    now = served.get(entity["name"], {})
    if "external_model" not in entity:
        out["entity_version"] = now.get("version") or entity.get("entity_version")
    if now.get("version") and now.get("version") != entity.get("entity_version"):
        # What the user asked to follow (an alias or a stage); not a Databricks field.
        out["entity_version_spec"] = entity.get("entity_version")
    out["creator"] = creator
    out["creation_timestamp"] = created
    state = {"deployment": now.get("state", "DEPLOYMENT_CREATING")}
    if now.get("message"):
        state["deployment_state_message"] = now["message"]
    out["state"] = state
    return out


def _config_json(config: dict[str, Any], row: Any, served: dict[str, Any]) -> dict[str, Any]:
    entities = [_entity_json(e, served, row.creator, row.creation_timestamp) for e in config["served_entities"]]
    return {
        "served_entities": entities,
        # The legacy view of the same entities, as Databricks still returns it.
        "served_models": [
            {**{k: v for k, v in e.items() if k not in ("entity_name", "entity_version", "entity_version_spec")},
             "model_name": e["entity_name"], "model_version": e["entity_version"]}
            for e in entities if "external_model" not in e
        ],
        "traffic_config": config["traffic_config"],
    }


def endpoint_json(row: Any, permission_level: str | None = None) -> dict[str, Any]:
    """ServingEndpointDetailed."""
    served = loads(row.served) or {}
    out: dict[str, Any] = {
        "name": row.name,
        "id": row.id,
        "creator": row.creator,
        "creation_timestamp": row.creation_timestamp,
        "last_updated_timestamp": row.last_updated_timestamp,
        "state": {"ready": row.ready, "config_update": row.config_update},
        "tags": loads(row.tags),
        "endpoint_url": f"/serving-endpoints/{row.name}/invocations",
        "route_optimized": False,
    }
    if row.description is not None:
        out["description"] = row.description
    config = loads(row.config)
    if config is not None:
        out["config"] = {**_config_json(config, row, served), "config_version": row.config_version}
    pending = loads(row.pending_config)
    if pending is not None:
        out["pending_config"] = {
            **_config_json(pending, row, {}), "config_version": row.config_version + 1,
            "start_time": row.pending_since,
        }
    if permission_level is not None:
        out["permission_level"] = permission_level
    limits = loads(row.rate_limits)
    if limits:
        out["rate_limits"] = limits
    return out


def _entity_spec(entity: dict[str, Any], served: dict[str, Any]) -> dict[str, Any]:
    if "external_model" in entity:
        return {"name": entity["name"], "external_model": entity["external_model"]}
    return {"name": entity["name"], "entity_name": entity["entity_name"],
            "entity_version": served.get(entity["name"], {}).get("version") or entity["entity_version"]}


def usage_json(row: Any) -> dict[str, Any]:
    """One external-model call of the usage log."""
    out = {
        "served_entity_name": row.served_entity, "user": row.principal, "timestamp": row.timestamp,
        "status_code": row.status_code, "latency_ms": row.latency_ms,
    }
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if getattr(row, key) is not None:
            out[key] = getattr(row, key)
    return out


def usage_total_json(row: Any) -> dict[str, Any]:
    return {
        "user": row.principal, "calls": row.calls, "prompt_tokens": int(row.prompt_tokens or 0),
        "completion_tokens": int(row.completion_tokens or 0), "total_tokens": int(row.total_tokens or 0),
        "mean_latency_ms": round(float(row.mean_latency_ms or 0), 1),
    }


def endpoint_summary_json(row: Any) -> dict[str, Any]:
    """ServingEndpoint (the list's items): the served entities' names and versions only."""
    served = loads(row.served) or {}
    out: dict[str, Any] = {
        "name": row.name,
        "id": row.id,
        "creator": row.creator,
        "creation_timestamp": row.creation_timestamp,
        "last_updated_timestamp": row.last_updated_timestamp,
        "state": {"ready": row.ready, "config_update": row.config_update},
        "tags": loads(row.tags),
    }
    config = loads(row.config) or loads(row.pending_config)
    if config is not None:
        out["config"] = {
            "served_entities": [_entity_spec(e, served) for e in config["served_entities"]]
        }
    return out
