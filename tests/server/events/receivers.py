"""Real receivers on free ports for the events tests: an HTTP server that records every request (and can
be told to fail, ask for a retry later, or hang), and an SMTP server (aiosmtpd) that keeps every message."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from tests.fixtures.live_server import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Plan:
    """How the receiver answers the next requests: a list of (status, headers) consumed in order, then 200."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # While set, requests wait on `release` before answering (a slow or hung receiver).
    hold: threading.Event | None = None


class _Server(ThreadingHTTPServer):
    # Python's default backlog of 5 resets connections under a burst of parallel webhook calls.
    request_queue_size = 128


class HttpReceiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.plans: dict[str, Plan] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802  # http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, headers, hold = receiver._answer(self.path)
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                if hold is not None:
                    hold.wait(120)
                out = b"received"
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self, path: str) -> tuple[int, dict[str, str], threading.Event | None]:
        with self._lock:
            plan = self.plans.get(path)
            if plan is None:
                return 200, {}, None
            if plan.answers:
                status, headers = plan.answers.pop(0)
                return status, headers, plan.hold
            return 200, {}, plan.hold

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 60.0) -> list[Received]:
        """The requests to `path` once there are at least `count` (fails after `timeout` s without them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} requests, expected {count}")

    def close(self) -> None:
        for plan in self.plans.values():
            if plan.hold is not None:
                plan.hold.set()
        self.server.shutdown()
        self.server.server_close()


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def databricks_signature_ok(secret: str, received: Received) -> bool:
    """The check Databricks documents for receivers: hex HMAC-SHA256 of the raw body, compare_digest."""
    expected = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers.get("X-Databricks-Signature", ""))


class SmtpReceiver:
    """aiosmtpd on a free port, keeping every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                with receiver._lock:
                    msg = message_from_bytes(envelope.content, policy=policy.default)
                    msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
                    receiver.messages.append(msg)  # type: ignore[arg-type]  # policy.default: EmailMessage
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def close(self) -> None:
        self.controller.stop()
