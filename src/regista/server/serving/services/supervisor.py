"""The serving supervisor: a background task of the one server process per data folder that supervises model
serving (gateway.py elects it), which makes the running model workers match the serving endpoints in the
database, routes invocations to them and counts what they do.

Each pass (every REGISTA_SERVING_POLL_INTERVAL seconds) reads the endpoints and resolves every served
entity's `entity_version` to a concrete version (an `@alias` or a stage is followed, so moving it is
noticed on the next pass). A served entity whose concrete version or files changed gets a new
deployment started beside the old one; once every entity of the endpoint's target config is loaded,
the routes switch in one step and the old deployments stop after their in-flight requests finish, so a
rollover fails no request. The endpoint's state (READY, config_update, the versions served) is written
back only when it changes. A worker that dies is restarted by its deployment (workers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
from sqlalchemy import Engine

from regista.environments.builder import Environments, EnvironmentUnavailable
from regista.errors import DeadlineExceeded, RegistaError, RequestLimitExceeded, TemporarilyUnavailable
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.db.unit_of_work import UnitOfWork
from regista.server.principal import Principal
from regista.server.serving.services import endpoints as rules
from regista.server.serving.services import entities, external
from regista.server.serving.services.env_upkeep import EnvironmentUpkeep
from regista.server.serving.services.external import ExternalDeployment, ProviderClient, usage_of
from regista.server.serving.services.metrics import EndpointMetrics
from regista.server.serving.services.rate_limits import RateLimiter
from regista.server.serving.services.workers import (
    FAILED,
    READY,
    Deployment,
    LogBuffer,
    WorkerSpec,
    WorkerUnavailable,
    worker_script,
)
from regista.server.serving.stores import endpoints as store
from regista.server.settings import Settings
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.serving")


@dataclass(frozen=True)
class EntityPlan:
    """One served entity of an endpoint's target config, resolved now."""

    name: str
    entity_name: str
    version: str | None
    model_dir: str | None
    error: str | None
    scale_to_zero: bool
    concurrency: int
    env: tuple[tuple[str, str], ...]
    external: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        if self.external is not None:
            detail = orjson.dumps(self.external, option=orjson.OPT_SORT_KEYS).decode()
            return (self.name, "external", detail, hashlib.sha256(repr(self.headers).encode()).hexdigest())
        return (self.name, str(self.version), str(self.model_dir), repr(self.env), str(self.scale_to_zero))


@dataclass(frozen=True)
class EndpointPlan:
    id: str
    name: str
    pending: bool
    generation: tuple[int, int | None]
    target: str
    entities: tuple[EntityPlan, ...]
    routes: tuple[tuple[str, int], ...]
    row: Any


AnyDeployment = Deployment | ExternalDeployment


@dataclass(eq=False)
class EndpointRuntime:
    """What this process runs for one endpoint: the live routes and the deployments being loaded."""

    id: str
    name: str
    routes: list[tuple[str, int, AnyDeployment]] = field(default_factory=list)
    candidates: dict[tuple[str, ...], AnyDeployment] = field(default_factory=dict)
    failed: dict[tuple[str, ...], str] = field(default_factory=dict)
    generation: tuple[int, int | None] | None = None
    limit: int = 0
    inflight: int = 0
    logs: dict[str, LogBuffer] = field(default_factory=dict)
    # Each served entity's environment builds (the `build_logs` API); the lines also go to its logs.
    build_logs: dict[str, LogBuffer] = field(default_factory=dict)
    metrics: EndpointMetrics = field(default_factory=EndpointMetrics)

    def deployments(self) -> list[AnyDeployment]:
        return [d for _, _, d in self.routes]

    def pick(self) -> AnyDeployment:
        weights = [pct for _, pct, _ in self.routes]
        if len(self.routes) == 1 or not any(weights):
            return self.routes[0][2]
        return random.choices(self.routes, weights)[0][2]


class Supervisor:
    def __init__(
        self, engine: Engine, settings: Settings, artifacts: ArtifactRepository, admin: Principal,
        write_lock: Any,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.artifacts = artifacts
        self.admin = admin
        self.write_lock = write_lock
        self.endpoints: dict[str, EndpointRuntime] = {}
        self._task: asyncio.Task[None] | None = None
        self.limiter = RateLimiter()
        self._wake = asyncio.Event()
        # Unix socket paths are limited to ~100 bytes: keep them short, under the system temp dir.
        self.socket_dir = tempfile.mkdtemp(prefix="regista-serving-")
        self.cache_dir = os.path.join(str(settings.data_dir), "serving", "models")
        self.env_root = os.path.join(str(settings.data_dir), "serving", "envs")
        # Model environments (virtualenv / uv managers): None runs every worker with serving_python.
        self.environments: Environments | None = None
        if settings.serving_env_manager != "local":
            self.environments = Environments(
                settings.serving_env_manager, self.env_root, settings.serving_python,
                settings.serving_env_build_timeout_s, settings.serving_env_python_downloads,
            )
        # Pruning runs beside the passes; the first one after the first pass, which creates the deployments
        # of the configured endpoints, so their environments count as in use.
        self.env_upkeep = EnvironmentUpkeep(self.env_root, self.environments, settings.serving_env_retention_s)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        """Look at the endpoints now rather than at the next poll (a config was just committed)."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.env_upkeep.stop()
        for rt in list(self.endpoints.values()):
            await self._retire(rt)
        self.endpoints.clear()
        with contextlib.suppress(OSError):
            os.rmdir(self.socket_dir)

    async def _run(self) -> None:
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("serving supervisor pass failed")
            self.env_upkeep.maybe_prune(
                dep for rt in self.endpoints.values() for dep in [*rt.deployments(), *rt.candidates.values()])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.serving_poll_interval_s)
            self._wake.clear()

    # -- reading and writing the endpoints ---------------------------------------------------------
    def _context(self, write: bool) -> Context:
        uow = UnitOfWork(self.engine, write=write, write_lock=self.write_lock,
                         busy_timeout_s=self.settings.sqlite_busy_timeout_s)
        return Context(uow, self.admin, self.artifacts, self.settings)

    def _read_plans(self) -> list[EndpointPlan]:
        ctx = self._context(write=False)
        try:
            return [self._plan(ctx, row) for row in store.list_endpoints(ctx.conn)]
        finally:
            ctx.finish(commit=False)

    def _plan(self, ctx: Context, row: Any) -> EndpointPlan:
        pending = row.pending_config is not None
        target = row.pending_config if pending else row.config
        config = orjson.loads(target)
        stored = external.open_secrets(self.settings.secret_box, row.secrets)
        secrets = stored.get("pending" if pending else "current", {})
        plans = []
        for e in config["served_entities"]:
            if "external_model" in e:
                plans.append(EntityPlan(
                    e["name"], e["external_model"]["name"], None, None, None, False,
                    int(e.get("max_provisioned_concurrency") or 64), (), e["external_model"],
                    tuple(sorted((secrets.get(e["name"]) or {}).items())),
                ))
                continue
            version = model_dir = error = None
            try:
                resolved = entities.resolve(ctx, e["entity_name"], e["entity_version"])
                version = resolved.version
                model_dir = entities.local_model_dir(ctx, resolved.rel_path, self.cache_dir)
            except RegistaError as err:
                error = err.message
            except OSError as err:
                error = f"The model files could not be read: {err}"
            plans.append(EntityPlan(
                e["name"], e["entity_name"], version, model_dir, error, bool(e.get("scale_to_zero_enabled")),
                int(e.get("max_provisioned_concurrency") or 4),
                tuple(sorted((e.get("environment_vars") or {}).items())),
            ))
        routes = tuple((r["served_entity_name"], int(r["traffic_percentage"]))
                       for r in config["traffic_config"]["routes"])
        return EndpointPlan(row.id, row.name, pending, (row.config_version, row.pending_since), target,
                            tuple(plans), routes, row)

    def _write(self, endpoint_id: str, values: dict[str, Any]) -> None:
        ctx = self._context(write=True)
        try:
            if store.find_endpoint_by_id(ctx.conn, endpoint_id) is not None:
                store.update_endpoint(ctx.conn, endpoint_id, values)
            ctx.finish(commit=True)
        except BaseException:
            ctx.finish(commit=False)
            raise

    async def _save(self, plan: EndpointPlan, values: dict[str, Any]) -> None:
        row = plan.row
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            await anyio.to_thread.run_sync(self._write, plan.id, changed)

    # -- one pass ----------------------------------------------------------------------------------
    async def reconcile(self) -> None:
        plans = await anyio.to_thread.run_sync(self._read_plans)
        seen = set()
        for plan in plans:
            seen.add(plan.name)
            rt = self.endpoints.get(plan.name)
            if rt is None or rt.id != plan.id:
                if rt is not None:
                    await self._retire(rt)
                rt = self.endpoints[plan.name] = EndpointRuntime(plan.id, plan.name)
            await self._advance(rt, plan)
            for dep in rt.deployments():
                await dep.scale_to_zero_if_idle(self.settings.serving_scale_to_zero_after_s)
        for name in [n for n in self.endpoints if n not in seen]:
            await self._retire(self.endpoints.pop(name))

    def _deployment(self, rt: EndpointRuntime, ent: EntityPlan) -> AnyDeployment:
        logs = rt.logs.setdefault(ent.name, LogBuffer())
        if ent.external is not None:
            client = ProviderClient(ent.external, dict(ent.headers), self.settings.serving_allow_private,
                                    self.settings.serving_request_timeout_s, logs)
            return ExternalDeployment(ent.name, ent.entity_name, ent.key, client, logs)
        sock = os.path.join(self.socket_dir, f"{os.urandom(6).hex()}.sock")
        spec = WorkerSpec(self.settings.serving_python, str(ent.model_dir), sock, ent.env,
                          threads=min(max(ent.concurrency, 1), 16),
                          script=worker_script() if self.environments is not None else None)
        dep = Deployment(ent.name, ent.entity_name, str(ent.version), ent.key, spec, logs, ent.scale_to_zero,
                         self.settings.serving_load_timeout_s)
        if self.environments is not None:
            dep.environment = self._environment_of(rt, ent.name, str(ent.model_dir), logs)
        return dep

    def _environment_of(self, rt: EndpointRuntime, served_name: str, model_dir: str,
                        logs: LogBuffer) -> Callable[[], Coroutine[Any, Any, str]]:
        """What a deployment calls to get its model's environment: the build's lines go to the served
        entity's logs and build logs, a failure becomes the entity's load error."""
        environments = self.environments
        assert environments is not None
        build_logs = rt.build_logs.setdefault(served_name, LogBuffer())

        def say(line: str) -> None:
            logs.add(line)
            build_logs.add(line)

        async def build() -> str:
            try:
                return await environments.python_for(model_dir, say)
            except EnvironmentUnavailable as err:
                say(f"environment build failed: {err}")
                raise WorkerUnavailable(str(err)) from None
            except Exception as err:  # a bug here must fail the entity, not leave it loading forever
                log.exception("building the environment of %s failed", served_name)
                say(f"environment build failed: {type(err).__name__}: {err}")
                raise WorkerUnavailable(f"the environment could not be built: {type(err).__name__}: {err}") from None

        return build

    async def _load(self, rt: EndpointRuntime, dep: AnyDeployment) -> None:
        try:
            await dep.load()
        except WorkerUnavailable:
            rt.failed[dep.key] = dep.message
            rt.candidates.pop(dep.key, None)
            await dep.drain_and_stop()
        self.wake()

    async def _advance(self, rt: EndpointRuntime, plan: EndpointPlan) -> None:
        if plan.generation != rt.generation:
            rt.failed.clear()
            rt.generation = plan.generation
        live = {d.key: d for d in rt.deployments()}
        wanted: dict[str, AnyDeployment] = {}
        errors: dict[str, str] = {}
        for ent in plan.entities:
            if ent.error is not None:
                errors[ent.name] = ent.error
                continue
            if ent.key in rt.failed:
                errors[ent.name] = rt.failed[ent.key]
                continue
            dep = live.get(ent.key) or rt.candidates.get(ent.key)
            if dep is None:
                dep = rt.candidates[ent.key] = self._deployment(rt, ent)
                if isinstance(dep, Deployment):
                    asyncio.create_task(self._load(rt, dep))
            wanted[ent.name] = dep
        if errors:
            await self._failed(rt, plan, errors)
            return
        if any(d.key in rt.candidates and d.state != READY for d in wanted.values()):
            return  # still loading
        await self._switch(rt, plan, wanted)

    async def _switch(self, rt: EndpointRuntime, plan: EndpointPlan, wanted: dict[str, AnyDeployment]) -> None:
        old = [d for d in rt.deployments() if d not in wanted.values()]
        rt.routes = [(name, pct, wanted[name]) for name, pct in plan.routes]
        rt.limit = sum(e.concurrency for e in plan.entities)
        for dep in wanted.values():
            rt.candidates.pop(dep.key, None)
        for dep in old:
            dep.logs.add(f"version {dep.version} replaced; stopping its worker once idle")
            asyncio.create_task(dep.drain_and_stop())
        served = {name: {"version": d.version, "state": READY} for name, d in wanted.items()}
        values: dict[str, Any] = {"ready": rules.READY, "served": orjson.dumps(served).decode()}
        if plan.pending:
            secrets = external.open_secrets(self.settings.secret_box, plan.row.secrets).get("pending", {})
            values.update(config=plan.target, pending_config=None, pending_since=None,
                          config_version=plan.row.config_version + 1, config_update=rules.NOT_UPDATING,
                          secrets=external.seal_secrets(self.settings.secret_box, secrets, {}))
        await self._save(plan, values)

    async def _failed(self, rt: EndpointRuntime, plan: EndpointPlan, errors: dict[str, str]) -> None:
        """A served entity of the target cannot be loaded: a pending config is dropped (UPDATE_FAILED, the
        current one keeps serving); for the current config, what serves now keeps serving."""
        served = orjson.loads(plan.row.served or "{}")
        for name, message in errors.items():
            served[name] = {**served.get(name, {}), "state": served.get(name, {}).get("state", FAILED),
                            "message": message}
            rt.logs.setdefault(name, LogBuffer())
        values: dict[str, Any] = {"served": orjson.dumps(served).decode()}
        if plan.pending:
            for key in [k for k in rt.candidates if k[0] in {e.name for e in plan.entities}]:
                asyncio.create_task(rt.candidates.pop(key).drain_and_stop())
            current = external.open_secrets(self.settings.secret_box, plan.row.secrets).get("current", {})
            values.update(pending_config=None, pending_since=None, config_update=rules.UPDATE_FAILED,
                          secrets=external.seal_secrets(self.settings.secret_box, current, {}))
            if plan.row.config is None:
                # A new endpoint whose first config failed: show that config, not ready.
                values.update(config=plan.target, config_version=1, ready=rules.NOT_READY)
        elif not rt.routes:
            values["ready"] = rules.NOT_READY
        await self._save(plan, values)

    async def _retire(self, rt: EndpointRuntime) -> None:
        deps = rt.deployments() + list(rt.candidates.values())
        rt.routes = []
        rt.candidates.clear()
        await asyncio.gather(*(d.drain_and_stop() for d in deps), return_exceptions=True)

    # -- requests ----------------------------------------------------------------------------------
    async def invoke(
        self, name: str, content_type: str, body: bytes, user: str = "",
        rate_limits: list[dict[str, Any]] | None = None,
    ) -> tuple[str, int, str, bytes]:
        """(served entity name, status, media type, body) of one invocation of endpoint `name` by `user`,
        within the endpoint's `rate_limits` (as the request read them with its permission check)."""
        rt = self.endpoints.get(name)
        if rt is None or not rt.routes:
            raise TemporarilyUnavailable(f"Serving endpoint '{name}' is not ready yet.")
        if rate_limits:
            try:
                self.limiter.check(name, rate_limits, user)
            except RequestLimitExceeded:
                rt.metrics.rejected()
                raise
        if rt.inflight >= rt.limit:
            rt.metrics.rejected()
            raise RequestLimitExceeded(
                f"Serving endpoint '{name}' is already handling {rt.limit} requests, its concurrency limit; "
                "retry later."
            )
        dep = rt.pick()
        rt.inflight += 1
        dep.inflight += 1
        start = time.perf_counter()
        status, media_type, data = 500, "application/json", b""
        try:
            status, media_type, data = await self._call(dep, content_type, body)
        except RegistaError as err:
            status = err.http_status
            raise
        finally:
            rt.inflight -= 1
            dep.inflight -= 1
            elapsed = time.perf_counter() - start
            rt.metrics.observe(dep.served_name, status, elapsed)
            if isinstance(dep, ExternalDeployment):
                usage = usage_of(data) if status < 400 else None
                await anyio.to_thread.run_sync(self._record_usage, rt.id, dep.served_name, user, status,
                                               elapsed, usage)
        return dep.served_name, status, media_type, data

    async def _call(self, dep: AnyDeployment, content_type: str, body: bytes) -> tuple[int, str, bytes]:
        worker = dep.worker if dep.worker is not None and dep.worker.alive else None
        try:
            if worker is None:
                worker = await asyncio.wait_for(dep.running(), self.settings.serving_load_timeout_s)
            else:
                dep.last_used = time.monotonic()
        except TimeoutError:
            raise TemporarilyUnavailable(
                f"Served entity '{dep.served_name}' could not be loaded in time; retry."
            ) from None
        except WorkerUnavailable as err:
            raise TemporarilyUnavailable(f"Served entity '{dep.served_name}': {err}; retry.") from None
        assert worker is not None
        try:
            return await asyncio.wait_for(worker.call(content_type, body), self.settings.serving_request_timeout_s)
        except TimeoutError:
            raise DeadlineExceeded(
                f"Request processing time exceeded the limit of {self.settings.serving_request_timeout_s:g} s."
            ) from None
        except WorkerUnavailable as err:
            raise TemporarilyUnavailable(f"Served entity '{dep.served_name}': {err}; retry.") from None

    def _record_usage(self, endpoint_id: str, served: str, user: str, status: int, seconds: float,
                      usage: Any) -> None:
        ctx = self._context(write=True)
        try:
            store.insert_usage(ctx.conn, {
                "endpoint_id": endpoint_id, "served_entity": served, "principal": user or "anonymous",
                "timestamp": now_ms(), "status_code": status, "latency_ms": round(1000 * seconds),
                "prompt_tokens": usage.prompt_tokens if usage else None,
                "completion_tokens": usage.completion_tokens if usage else None,
                "total_tokens": usage.total_tokens if usage else None,
            })
            ctx.finish(commit=True)
        except BaseException:
            ctx.finish(commit=False)
            log.exception("could not record the usage of a call to %s", served)

    def runtime(self, name: str) -> EndpointRuntime | None:
        return self.endpoints.get(name)

    def metrics(self, name: str) -> str:
        """The endpoint's metrics in Prometheus text (the `export_metrics` API); empty when it runs nothing."""
        rt = self.endpoints.get(name)
        return rt.metrics.prometheus(name, rt.inflight) if rt is not None else ""

    def logs(self, name: str, served_name: str) -> str:
        """What one served entity's workers printed (the `logs` API)."""
        rt = self.endpoints.get(name)
        buffer = rt.logs.get(served_name) if rt is not None else None
        return buffer.text() if buffer is not None else ""

    def build_logs(self, name: str, served_name: str) -> str:
        """The environment build output of one served entity (the `build_logs` API)."""
        if self.environments is None:
            return "No build: the model runs in the server's environment (environment manager 'local').\n"
        rt = self.endpoints.get(name)
        buffer = rt.build_logs.get(served_name) if rt is not None else None
        return buffer.text() if buffer is not None else ""
