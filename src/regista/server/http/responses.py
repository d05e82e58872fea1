"""Fast JSON responses (orjson, no jsonable_encoder pass) for every API handler."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


EMPTY = b"{}"


def ok(payload: dict[str, Any] | None = None) -> Response:
    """200 with a JSON object body (`{}` when there is nothing to return)."""
    if not payload:
        return Response(EMPTY, media_type="application/json")
    return JSON(payload)
