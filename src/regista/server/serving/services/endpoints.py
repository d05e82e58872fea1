"""Serving endpoints: create, get, list, update the config, delete, and who may do what.

Rules:
- Permission levels CAN_VIEW < CAN_QUERY < CAN_MANAGE on each endpoint (grants of object type
  `serving-endpoints`, id = the endpoint's id); the creator gets CAN_MANAGE, admins hold everything.
  Viewing needs CAN_VIEW, querying CAN_QUERY, changing the config, deleting or reading logs CAN_MANAGE.
- Every served entity must name a model version the caller may read (checked when the config is given).
- A config change is rolled out by the supervisor (services/supervisor.py): the endpoint's
  `config_update` is IN_PROGRESS until every served entity of the new config is loaded, then
  NOT_UPDATING (or UPDATE_FAILED, with the load error in the entity's logs). A second update while one
  is in progress is refused (RESOURCE_CONFLICT).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from regista.errors import AlreadyExists, InvalidParameter, NotFound, ResourceConflict
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.serving.schemas.endpoints import (
    CreateServingEndpoint,
    EndpointCoreConfigInput,
    ServedEntityInput,
    endpoint_json,
    endpoint_summary_json,
    usage_json,
    usage_total_json,
)
from regista.server.serving.services import entities, external, rate_limits
from regista.server.serving.stores import endpoints as store

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_SERVED_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,128}$")
# Provisioned concurrency of each workload size (Databricks: Small 0-4, Medium 8-16, Large 16-64): the
# number of requests one served entity handles at once; the endpoint's limit is the sum.
WORKLOAD_CONCURRENCY = {"Small": 4, "Medium": 16, "Large": 64}
READY, NOT_READY = "READY", "NOT_READY"
NOT_UPDATING, IN_PROGRESS, UPDATE_FAILED = "NOT_UPDATING", "IN_PROGRESS", "UPDATE_FAILED"
MAX_TAGS = 20
MAX_USAGE_RESULTS = 100_000


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def validate_name(name: str) -> None:
    if not _NAME_RE.match(name or ""):
        raise InvalidParameter(
            f"Invalid serving endpoint name '{name}': use 1 to 63 letters, digits, '-' or '_'."
        )


def _external_entity(ctx: Context, raw: ServedEntityInput, secrets: dict[str, dict[str, str]]) -> dict[str, Any]:
    assert raw.external_model is not None
    shown, headers = external.split_external(raw.external_model, ctx.settings.serving_allow_private)
    name = raw.name or f"{shown['provider']}-{shown['name']}".replace("/", "-")
    if not _SERVED_NAME_RE.match(name):
        raise InvalidParameter(f"Invalid served entity name '{name}': use letters, digits, '-', '_', '.' or '@'.")
    secrets[name] = headers
    return {"name": name, "external_model": shown, "scale_to_zero_enabled": False,
            "max_provisioned_concurrency": raw.max_provisioned_concurrency or WORKLOAD_CONCURRENCY["Large"],
            "_resolved": None}


def _entity(ctx: Context, raw: ServedEntityInput, secrets: dict[str, dict[str, str]]) -> dict[str, Any]:
    if raw.external_model is not None:
        return _external_entity(ctx, raw, secrets)
    if not raw.entity_name:
        raise InvalidParameter("Each served entity needs an entity_name (a registered model).")
    spec = (raw.entity_version or "").strip()
    resolved = entities.resolve(ctx, raw.entity_name, spec)  # 400/403/404 when the caller may not serve it
    name = raw.name or f"{raw.entity_name.replace('.', '_')}-{spec.lstrip('@')}"
    if not _SERVED_NAME_RE.match(name):
        raise InvalidParameter(f"Invalid served entity name '{name}': use letters, digits, '-', '_', '.' or '@'.")
    size = raw.workload_size or "Small"
    if size not in WORKLOAD_CONCURRENCY:
        raise InvalidParameter(f"Invalid workload_size '{size}': use one of {', '.join(WORKLOAD_CONCURRENCY)}.")
    concurrency = raw.max_provisioned_concurrency or WORKLOAD_CONCURRENCY[size]
    if concurrency < 1:
        raise InvalidParameter("max_provisioned_concurrency must be at least 1.")
    entity: dict[str, Any] = {
        "name": name,
        "entity_name": raw.entity_name,
        "entity_version": spec,
        "workload_size": size,
        "workload_type": raw.workload_type or "CPU",
        "scale_to_zero_enabled": bool(raw.scale_to_zero_enabled),
        "max_provisioned_concurrency": concurrency,
    }
    if raw.min_provisioned_concurrency is not None:
        entity["min_provisioned_concurrency"] = raw.min_provisioned_concurrency
    if raw.environment_vars:
        entity["environment_vars"] = raw.environment_vars
    # The version this config starts with (the supervisor follows an alias or stage from there).
    entity["_resolved"] = resolved.version
    return entity


def normalize_config(
    ctx: Context, config: EndpointCoreConfigInput | None
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The stored form of a config: served entities with defaults, a traffic split over them that sums
    to 100; every entity checked against the registry as the caller. Also returns the external models'
    credentials (headers by served entity name), which are stored apart and never shown."""
    if config is None:
        raise InvalidParameter("A serving endpoint needs a config with at least one served entity.")
    raw = list(config.served_entities) + [
        ServedEntityInput(**{**m.model_dump(exclude={"model_name", "model_version"}),
                             "entity_name": m.model_name, "entity_version": m.model_version})
        for m in config.served_models
    ]
    if not raw:
        raise InvalidParameter("config.served_entities must name at least one served entity.")
    secrets: dict[str, dict[str, str]] = {}
    served = [_entity(ctx, e, secrets) for e in raw]
    for e in served:
        e.pop("_resolved")
    names = [e["name"] for e in served]
    if len(set(names)) != len(names):
        raise InvalidParameter(f"Served entity names must be unique in an endpoint: {', '.join(names)}.")
    return {"served_entities": served, "traffic_config": {"routes": _routes(config, names)}}, secrets


def _routes(config: EndpointCoreConfigInput, names: list[str]) -> list[dict[str, Any]]:
    if config.traffic_config is None or not config.traffic_config.routes:
        if len(names) > 1:
            raise InvalidParameter("traffic_config.routes is required when an endpoint serves several entities.")
        return [{"served_model_name": names[0], "served_entity_name": names[0], "traffic_percentage": 100}]
    routes: list[dict[str, Any]] = []
    total = 0
    for route in config.traffic_config.routes:
        target = route.served_entity_name or route.served_model_name
        if target not in names:
            raise InvalidParameter(f"Traffic route names '{target}', which is not a served entity of the config.")
        if not 0 <= route.traffic_percentage <= 100:
            raise InvalidParameter("traffic_percentage must be between 0 and 100.")
        routes.append({"served_model_name": target, "served_entity_name": target,
                       "traffic_percentage": route.traffic_percentage})
        total += route.traffic_percentage
    if total != 100:
        raise InvalidParameter("The traffic_percentage of the routes must add up to 100.")
    return routes


def _tags(req: CreateServingEndpoint) -> list[dict[str, Any]]:
    if len(req.tags) > MAX_TAGS:
        raise InvalidParameter(f"A serving endpoint takes at most {MAX_TAGS} tags.")
    return [{"key": t.key, "value": t.value} if t.value is not None else {"key": t.key} for t in req.tags]


def create_endpoint(ctx: Context, req: CreateServingEndpoint) -> dict[str, Any]:
    validate_name(req.name)
    config, secrets = normalize_config(ctx, req.config)
    limits = rate_limits.normalize(req.rate_limits)
    tags = _tags(req)
    if store.find_endpoint(ctx.conn, req.name) is not None:
        raise AlreadyExists(f"Serving endpoint '{req.name}' already exists.")
    now = now_ms()
    endpoint_id = uuid.uuid4().hex
    store.insert_endpoint(ctx.conn, {
        "id": endpoint_id, "name": req.name, "creator": ctx.principal.name, "description": req.description,
        "creation_timestamp": now, "last_updated_timestamp": now, "config": None, "config_version": 0,
        "pending_config": _dumps(config), "pending_since": now, "ready": NOT_READY,
        "config_update": IN_PROGRESS, "served": "{}", "tags": _dumps(tags),
        "secrets": external.seal_secrets(ctx.settings.secret_box, {}, secrets), "rate_limits": _dumps(limits),
    })
    authz.grant_creator(ctx, authz.SERVING_ENDPOINTS, endpoint_id)
    ctx.record("serving_endpoint.created", {"name": req.name, "id": endpoint_id, "config": config})
    return endpoint_json(store.get_endpoint(ctx.conn, req.name), authz.CAN_MANAGE)


def authorized_endpoint(ctx: Context, name: str, level: str, *, for_update: bool = False) -> tuple[Any, str]:
    """(row, the caller's level) once the caller is known to hold `level` (404 when missing, 403 below)."""
    row = store.get_endpoint(ctx.conn, name, for_update=for_update)
    held = authz.require_serving_endpoint_level(ctx, row.id, level, name)
    return row, held


def get_endpoint(ctx: Context, name: str) -> dict[str, Any]:
    row, held = authorized_endpoint(ctx, name, authz.CAN_VIEW)
    return endpoint_json(row, held)


def list_endpoints(ctx: Context) -> list[dict[str, Any]]:
    grantees = authz.visibility_filter(ctx, authz.SERVING_ENDPOINTS)
    rows = store.list_endpoints(ctx.conn, grantees, tuple(authz.SERVING_ENDPOINT_LEVEL_RANK))
    return [endpoint_summary_json(r) for r in rows]


def update_config(ctx: Context, name: str, config: EndpointCoreConfigInput) -> dict[str, Any]:
    row, held = authorized_endpoint(ctx, name, authz.CAN_MANAGE, for_update=True)
    if row.config_update == IN_PROGRESS:
        raise ResourceConflict(
            f"Serving endpoint '{name}' is already being updated; wait until its config_update is NOT_UPDATING."
        )
    normalized, secrets = normalize_config(ctx, config)
    now = now_ms()
    kept = external.open_secrets(ctx.settings.secret_box, row.secrets).get("current", {})
    store.update_endpoint(ctx.conn, row.id, {
        "pending_config": _dumps(normalized), "pending_since": now, "config_update": IN_PROGRESS,
        "last_updated_timestamp": now, "secrets": external.seal_secrets(ctx.settings.secret_box, kept, secrets),
    })
    ctx.record("serving_endpoint.config_updated", {"name": name, "id": row.id, "config": normalized})
    return endpoint_json(store.get_endpoint(ctx.conn, name), held)


def delete_endpoint(ctx: Context, name: str) -> None:
    row, _ = authorized_endpoint(ctx, name, authz.CAN_MANAGE, for_update=True)
    store.delete_endpoint(ctx.conn, row.id)
    authz.forget_object(ctx, authz.SERVING_ENDPOINTS, row.id)
    ctx.record("serving_endpoint.deleted", {"name": name, "id": row.id})


def find_endpoint_by_id(ctx: Context, endpoint_id: str) -> Any | None:
    """The endpoint row with this id (the permissions API names endpoints by id), or None."""
    return store.find_endpoint_by_id(ctx.conn, endpoint_id)


def put_rate_limits(ctx: Context, name: str, limits: list[Any]) -> dict[str, Any]:
    """Replace the endpoint's rate limits (CAN_MANAGE); an empty list removes them."""
    row, _ = authorized_endpoint(ctx, name, authz.CAN_MANAGE, for_update=True)
    normalized = rate_limits.normalize(limits)
    store.update_endpoint(ctx.conn, row.id, {"rate_limits": _dumps(normalized), "last_updated_timestamp": now_ms()})
    ctx.record("serving_endpoint.rate_limits_set", {"name": name, "id": row.id, "rate_limits": normalized})
    return {"rate_limits": normalized}


def usage_report(ctx: Context, name: str, max_results: int) -> dict[str, Any]:
    """The external-model calls of an endpoint (CAN_MANAGE): the latest `max_results`, newest first, and
    per user totals over all of them."""
    if not 1 <= max_results <= MAX_USAGE_RESULTS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_USAGE_RESULTS}.")
    row, _ = authorized_endpoint(ctx, name, authz.CAN_MANAGE)
    return {
        "calls": [usage_json(r) for r in store.latest_usage(ctx.conn, row.id, max_results)],
        "by_user": [usage_total_json(r) for r in store.usage_by_user(ctx.conn, row.id)],
    }


def served_names(row: Any) -> list[str]:
    config = orjson.loads(row.config or row.pending_config or "null") or {"served_entities": []}
    return [e["name"] for e in config["served_entities"]]


def authorize_query(ctx: Context, name: str) -> tuple[str, list[dict[str, Any]]]:
    """Invocations need CAN_QUERY; returns the endpoint's name (the supervisor's key) and its rate limits
    (read with the permission, so a change applies to the very next call)."""
    row, _ = authorized_endpoint(ctx, name, authz.CAN_QUERY)
    limits: list[dict[str, Any]] = orjson.loads(row.rate_limits) if row.rate_limits not in (None, "[]") else []
    return str(row.name), limits


def authorize_metrics(ctx: Context, name: str) -> str:
    row, _ = authorized_endpoint(ctx, name, authz.CAN_VIEW)
    return str(row.name)


def authorize_open_api(ctx: Context, name: str) -> str:
    """The query schema is for those who may query."""
    row, _ = authorized_endpoint(ctx, name, authz.CAN_QUERY)
    return str(row.name)


def authorize_logs(ctx: Context, name: str, served_name: str) -> str:
    """A served entity's worker logs need CAN_MANAGE (they may show inputs and stack traces)."""
    row, _ = authorized_endpoint(ctx, name, authz.CAN_MANAGE)
    if served_name not in served_names(row):
        raise NotFound(f"Serving endpoint '{name}' has no served entity named '{served_name}'.")
    return str(row.name)


def reseal_secrets(ctx: Context) -> int:
    """Re-encrypt every endpoint's provider credentials not sealed with the first key; how many endpoints
    changed. Raises SecretKeyError when stored credentials open with none of the keys."""
    box = ctx.settings.secret_box
    changed = 0
    for row in store.list_endpoints(ctx.conn):
        if row.secrets and box.needs_reseal(row.secrets):
            store.update_endpoint(ctx.conn, row.id, {"secrets": box.seal(box.open(row.secrets))})
            changed += 1
    return changed


def may_query(endpoint: dict[str, Any]) -> bool:
    """Whether the caller an endpoint was read for (its `permission_level`) may query it (CAN_QUERY)."""
    rank = authz.SERVING_ENDPOINT_LEVEL_RANK
    return rank.get(endpoint.get("permission_level") or "", 0) >= rank[authz.CAN_QUERY]
