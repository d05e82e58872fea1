"""External-model served entities: an OpenAI-compatible provider (`provider: openai`, with
`openai_config.openai_api_base`) or any OpenAI-compatible server (`provider: custom`, with
`custom_provider_config.custom_provider_url`), reached through regista so that access is governed
(CAN_QUERY, rate limits) and every call's user, tokens and latency are logged.

The provider credential is write-only: it is split from the config when the config is stored and never
returned. Calls go through the guarded outbound client (no private or loopback targets unless
REGISTA_SERVING_ALLOW_PRIVATE, checked when each connection is made)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from regista.errors import InvalidParameter
from regista.server.events.services.outbound import guarded_client
from regista.server.secret_box import SecretBox
from regista.server.serving.services.workers import READY, LogBuffer, WorkerUnavailable
from regista.server.storage.external import outbound_refusal

PROVIDERS = ("openai", "custom")
OPENAI_BASE = "https://api.openai.com/v1"
# The provider path of each task (the OpenAI REST API, which both providers speak).
TASK_PATHS = {"llm/v1/chat": "/chat/completions", "llm/v1/completions": "/completions",
              "llm/v1/embeddings": "/embeddings"}


def split_external(raw: dict[str, Any], allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """(the external_model as stored and shown, without credentials; the credential headers, write-only).
    400 for an unknown provider or task, a missing URL, or a URL that is not a public http(s) address."""
    provider = raw.get("provider")
    if provider not in PROVIDERS:
        raise InvalidParameter(f"external_model.provider must be one of {', '.join(PROVIDERS)}, got '{provider}'.")
    task = raw.get("task") or "llm/v1/chat"
    if task not in TASK_PATHS:
        raise InvalidParameter(f"external_model.task must be one of {', '.join(TASK_PATHS)}, got '{task}'.")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidParameter("external_model.name (the provider's model name) is required.")
    headers: dict[str, str] = {}
    if provider == "openai":
        cfg = dict(raw.get("openai_config") or {})
        base = cfg.get("openai_api_base") or OPENAI_BASE
        key = cfg.pop("openai_api_key_plaintext", None)
        if cfg.get("openai_api_key"):
            raise InvalidParameter("Secret references (openai_api_key) are not supported here; give "
                                   "openai_api_key_plaintext, which is stored write-only.")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        cfg["openai_api_base"] = base
        shown = {"provider": provider, "name": name, "task": task, "openai_config": cfg}
    else:
        cfg = dict(raw.get("custom_provider_config") or {})
        base = cfg.get("custom_provider_url")
        bearer = dict(cfg.pop("bearer_token_auth", None) or {})
        api_key = dict(cfg.pop("api_key_auth", None) or {})
        if bearer.get("token_plaintext"):
            headers["Authorization"] = f"Bearer {bearer['token_plaintext']}"
        if api_key.get("key") and api_key.get("value_plaintext"):
            headers[str(api_key["key"])] = str(api_key["value_plaintext"])
        shown = {"provider": provider, "name": name, "task": task, "custom_provider_config": cfg}
    if not isinstance(base, str) or not base:
        raise InvalidParameter("The external model needs the provider's base URL.")
    refusal = outbound_refusal(base, allow_private, resolve=False)
    if refusal is not None:
        raise InvalidParameter(f"Invalid provider URL '{base}': {refusal}")
    return shown, headers


def open_secrets(box: SecretBox, stored: str | None) -> dict[str, Any]:
    """An endpoint's stored credentials, {"current": {entity: headers}, "pending": {...}}, decrypted."""
    return orjson.loads(box.open(stored)) if stored else {}


def seal_secrets(box: SecretBox, current: dict[str, Any], pending: dict[str, Any]) -> str:
    """The credentials of an endpoint's current and pending configs, encrypted for storage."""
    return box.seal(orjson.dumps({"current": current, "pending": pending}).decode())


def provider_url(external: dict[str, Any]) -> str:
    if external["provider"] == "openai":
        base = str(external["openai_config"]["openai_api_base"])
    else:
        base = str(external["custom_provider_config"]["custom_provider_url"])
    return base.rstrip("/") + TASK_PATHS[external["task"]]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None


def usage_of(data: bytes) -> Usage:
    """The token counts an OpenAI-style answer reports (None when it reports none)."""
    try:
        usage = orjson.loads(data).get("usage") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return Usage(None, None, None)

    def count(key: str) -> int | None:
        value = usage.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Usage(count("prompt_tokens"), count("completion_tokens"), count("total_tokens"))


class ProviderClient:
    """Plays a worker's part for an external entity: always alive, each call one provider request."""

    alive = True

    def __init__(self, external: dict[str, Any], headers: dict[str, str], allow_private: bool,
                 timeout_s: float, logs: LogBuffer) -> None:
        self.url = provider_url(external)
        self.model = external["name"]
        self.headers = headers
        self.logs = logs
        self.client = guarded_client(True, allow_private, timeout_s)

    async def call(self, content_type: str, body: bytes) -> tuple[int, str, bytes]:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidParameter("An external-model endpoint takes a JSON body.") from None
        if not isinstance(payload, dict):
            raise InvalidParameter("An external-model endpoint takes a JSON object.")
        payload["model"] = self.model
        start = time.perf_counter()
        try:
            r = await self.client.post(self.url, content=orjson.dumps(payload),
                                       headers={**self.headers, "Content-Type": "application/json"})
        except httpx.HTTPError as err:
            self.logs.add(f"provider call failed: {type(err).__name__}")
            raise WorkerUnavailable(f"the provider did not answer ({type(err).__name__})") from None
        self.logs.add(f"provider answered {r.status_code} in {1000 * (time.perf_counter() - start):.0f} ms")
        return r.status_code, r.headers.get("content-type", "application/json"), r.content

    async def stop(self) -> None:
        await self.client.aclose()


@dataclass(eq=False)
class ExternalDeployment:
    """A served external model: nothing to load, READY at once; same interface as workers.Deployment."""

    served_name: str
    entity_name: str
    key: tuple[str, ...]
    client: ProviderClient
    logs: LogBuffer
    version: str = ""
    state: str = READY
    message: str = ""
    inflight: int = 0
    scale_to_zero: bool = False
    external: bool = True
    last_used: float = field(default_factory=time.monotonic)

    @property
    def worker(self) -> ProviderClient:
        return self.client

    async def load(self) -> None:
        return None

    async def running(self) -> ProviderClient:
        return self.client

    async def scale_to_zero_if_idle(self, idle_s: float) -> None:
        return None

    async def drain_and_stop(self) -> None:
        while self.inflight:
            await asyncio.sleep(0.05)
        await self.client.stop()
