"""Model serving as each server process sees it: one process per data folder supervises the model workers,
the others forward to it.

With `--workers N` (or several servers on one data folder) every process tries to take
<data dir>/serving/supervisor.lock (server/process_lock.py) at start and every ELECTION_INTERVAL_S after. The holder
runs the Supervisor (so each served entity has one model worker, and rate limits, the concurrency limit,
metrics, logs and usage are counted once) and listens on <data dir>/serving/supervisor.sock (relay.py). Every
other process checks permissions itself, then forwards the call there. Both go through `handle`: the
supervising process calls it in-process, the others over the socket. When the supervising process dies its
lock is released by the kernel and another process takes over within ELECTION_INTERVAL_S, loading the models
again; its workers exit once their parent is gone (serving_worker.py)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from typing import Any

import anyio
import orjson
from sqlalchemy import Engine

from regista.errors import InvalidParameter
from regista.server.principal import Principal
from regista.server.process_lock import LeaderLock
from regista.server.serving.services.open_api import endpoint_open_api, example_request
from regista.server.serving.services.relay import RelayClient, RelayServer, Reply
from regista.server.serving.services.supervisor import Supervisor
from regista.server.settings import Settings
from regista.server.storage.repository import ArtifactRepository

log = logging.getLogger("regista.serving")

# How often a process that does not supervise tries to take over (so also the longest a data folder goes
# without a supervisor after the one it had died, before the models load again).
ELECTION_INTERVAL_S = 1.0
PROMETHEUS = "text/plain; version=0.0.4"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


async def handle(supervisor: Supervisor, operation: str, args: dict[str, Any], body: bytes) -> Reply:
    """One call to the supervisor, whichever process it came from."""
    name = str(args.get("name", ""))
    if operation == "invoke":
        served, status, media_type, data = await supervisor.invoke(
            name, str(args.get("content_type") or JSON), body, str(args.get("user", "")),
            list(args.get("rate_limits") or []),
        )
        return Reply(status, media_type, data, served)
    if operation == "metrics":
        return Reply(200, PROMETHEUS, supervisor.metrics(name).encode())
    if operation == "logs":
        return Reply(200, TEXT, supervisor.logs(name, str(args.get("served_name", ""))).encode())
    if operation == "build_logs":
        return Reply(200, TEXT, supervisor.build_logs(name, str(args.get("served_name", ""))).encode())
    if operation == "open_api":  # these read the models' files: in a thread
        doc = await anyio.to_thread.run_sync(endpoint_open_api, supervisor, name)
        return Reply(200, JSON, orjson.dumps(doc))
    if operation == "example_request":
        example = await anyio.to_thread.run_sync(example_request, supervisor, name)
        return Reply(200, JSON, orjson.dumps(example))
    raise InvalidParameter(f"Unknown serving operation '{operation}'.")


class ServingGateway:
    def __init__(
        self, engine: Engine, settings: Settings, artifacts: ArtifactRepository, admin: Principal, write_lock: Any,
    ) -> None:
        self._make_supervisor = functools.partial(Supervisor, engine, settings, artifacts, admin, write_lock)
        self.settings = settings
        folder = os.path.join(str(settings.data_dir), "serving")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self.lock = LeaderLock(os.path.join(folder, "supervisor.lock"))
        self.socket_path = os.path.join(folder, "supervisor.sock")
        self.client = RelayClient(self.socket_path)
        self.supervisor: Supervisor | None = None
        self._server: RelayServer | None = None
        self._campaign: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._try_to_lead()
        if self.supervisor is None:
            self._campaign = asyncio.create_task(self._keep_trying())

    async def stop(self) -> None:
        if self._campaign is not None:
            self._campaign.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._campaign
        self.client.close()
        if self._server is not None:
            await self._server.stop()
        if self.supervisor is not None:
            await self.supervisor.stop()
        self.lock.release()

    async def _keep_trying(self) -> None:
        while self.supervisor is None:
            await asyncio.sleep(ELECTION_INTERVAL_S)
            try:
                await self._try_to_lead()
            except Exception:
                log.exception("could not take over the serving supervisor; trying again")

    async def _try_to_lead(self) -> None:
        if not self.lock.try_acquire():
            return
        supervisor = self._make_supervisor()
        server = RelayServer(self.socket_path, functools.partial(handle, supervisor),
                             self.settings.serving_max_request_bytes + 65536)
        try:
            await server.start()
        except BaseException:
            self.lock.release()
            raise
        supervisor.start()
        self._server, self.supervisor = server, supervisor
        self.client.close()
        log.info("process %d supervises model serving for %s", os.getpid(), self.settings.data_dir)

    @property
    def supervising(self) -> bool:
        return self.supervisor is not None

    # -- calls -------------------------------------------------------------------------------------
    async def call(self, operation: str, args: dict[str, Any], body: bytes = b"") -> Reply:
        supervisor = self.supervisor
        if supervisor is not None:
            return await handle(supervisor, operation, args, body)
        return await self.client.call(operation, args, body)

    async def invoke(
        self, name: str, content_type: str, body: bytes, user: str, rate_limits: list[dict[str, Any]],
    ) -> Reply:
        """One invocation of endpoint `name` by `user`, within the `rate_limits` its permission check read."""
        args = {"name": name, "content_type": content_type, "user": user, "rate_limits": rate_limits}
        return await self.call("invoke", args, body)

    async def metrics(self, name: str) -> str:
        return (await self.call("metrics", {"name": name})).body.decode()

    async def logs(self, name: str, served_name: str) -> str:
        return (await self.call("logs", {"name": name, "served_name": served_name})).body.decode()

    async def build_logs(self, name: str, served_name: str) -> str:
        return (await self.call("build_logs", {"name": name, "served_name": served_name})).body.decode()

    async def open_api(self, name: str) -> dict[str, Any]:
        doc: dict[str, Any] = orjson.loads((await self.call("open_api", {"name": name})).body)
        return doc

    async def example_request(self, name: str) -> dict[str, Any] | None:
        example: dict[str, Any] | None = orjson.loads((await self.call("example_request", {"name": name})).body)
        return example
