"""One webhook call: the request a webhook row and a stored body make (headers, signature, job run-now),
sent with the guarded client, and what came of it (retry or not, and when)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from regista.server.events.services.signing import databricks_signature, mlflow_signature
from regista.server.secret_box import SecretBox

# Status codes worth another attempt (the receiver may recover); any other answer is final.
_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_BODY_KEPT = 2000


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    body: str
    latency_ms: int
    error: str | None
    retryable: bool
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Call:
    url: str
    headers: dict[str, str]
    body: bytes
    verify: bool


def build_call(hook: Any, payload: str, delivery_uuid: str, workspace_url: str, box: SecretBox) -> Call:
    """The HTTP request for a delivery of `payload` (the stored JSON body) to webhook row `hook`, whose
    stored secrets `box` opens."""
    body = payload.encode()
    secret = box.open_optional(hook.secret)
    headers = {"Content-Type": "application/json", "User-Agent": "regista-webhooks"}
    if hook.dialect == "mlflow":
        stamp = str(int(time.time()))
        headers["X-MLflow-Delivery-Id"] = delivery_uuid
        headers["X-MLflow-Timestamp"] = stamp
        if secret:
            headers["X-MLflow-Signature"] = mlflow_signature(secret, delivery_uuid, stamp, body)
        return Call(hook.url, headers, body, True)
    if hook.job_id is not None:
        # Databricks job webhooks trigger a run with the payload as the notebook parameter event_message.
        job_id: int | str = int(hook.job_id) if hook.job_id.isdigit() else hook.job_id
        run = {"job_id": job_id, "notebook_params": {"event_message": payload}}
        headers["Authorization"] = f"Bearer {box.open_optional(hook.access_token)}"
        base = (hook.workspace_url or workspace_url).rstrip("/")
        return Call(f"{base}/api/2.1/jobs/run-now", headers, orjson.dumps(run), True)
    if secret:
        headers["X-Databricks-Signature"] = databricks_signature(secret, body)
    if hook.authorization:
        headers["Authorization"] = box.open(hook.authorization)
    return Call(hook.url, headers, body, bool(hook.enable_ssl_verification))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


async def send(client: httpx.AsyncClient, call: Call) -> Outcome:
    """POST the call; network errors and 408/429/5xx are retryable, a refused address is not."""
    started = time.monotonic()
    try:
        response = await client.post(call.url, content=call.body, headers=call.headers)
    except PermissionError as err:
        return Outcome(None, "", _ms(started), f"refused: {err}", retryable=False)
    except httpx.HTTPError as err:
        return Outcome(None, "", _ms(started), f"{type(err).__name__}: {err}", retryable=True)
    except (ConnectionError, OSError) as err:
        return Outcome(None, "", _ms(started), f"{type(err).__name__}: {err}", retryable=True)
    text = response.text[:_MAX_BODY_KEPT]
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(code, text, _ms(started), None, retryable=False)
    return Outcome(code, text, _ms(started), f"HTTP {code}", retryable=code in _RETRYABLE,
                   retry_after_s=_retry_after(response.headers.get("retry-after")))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def send_once(call: Call, allow_private: bool, timeout_s: float) -> Outcome:
    """A single call with its own guarded client (the test endpoints: no retry, no delivery log)."""
    from regista.server.events.services.outbound import guarded_client

    async with guarded_client(call.verify, allow_private, timeout_s) as client:
        return await send(client, call)
