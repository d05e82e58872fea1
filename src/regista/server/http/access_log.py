"""Pure ASGI middleware writing one structured access-log line per HTTP request.

Fields: method, path (never the query string), status, duration_ms and principal: the name the
authentication middleware resolved, or "anonymous" when the request carried none (authentication off, open
paths, rejected tokens). Headers are never read here, so no token can reach the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from regista.server.http.authentication import PRINCIPAL_KEY

log = logging.getLogger("regista.access")


class AccessLogMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        # Stays 500 if the application fails before answering (the error middleware outside answers 500).
        status = 500

        async def send_and_note_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            principal = scope.get(PRINCIPAL_KEY)
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                "principal": principal.name if principal is not None else "anonymous",
            }
            # makeRecord + handle instead of log.info: skips the caller lookup (a stack walk), which is
            # about 4 of the 10 us a line costs (measured).
            log.handle(log.makeRecord(log.name, logging.INFO, "", 0, "request", (), None,
                                      extra={"fields": fields}))
