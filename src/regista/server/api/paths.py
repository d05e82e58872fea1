"""ASGI middleware merging repeated slashes in request paths before routing (`//model-versions/get-artifact`
is `/model-versions/get-artifact`), as the official server's router (werkzeug) does."""

from __future__ import annotations

import re
from typing import Any

_SLASHES = re.compile(r"/{2,}")


class MergeSlashes:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            scope = {**scope, "path": _SLASHES.sub("/", scope["path"])}
        await self.app(scope, receive, send)
