"""Rate limits of serving endpoints (the rate-limits API): at most `calls` per `renewal_period` (a minute)
for the whole endpoint (`key: endpoint`) or for each user (`key: user`). Counted in fixed windows in this
process; a request beyond a limit is a 429 with Retry-After (the seconds until the window renews)."""

from __future__ import annotations

import math
import time
from typing import Any

from regista.errors import InvalidParameter, RequestLimitExceeded
from regista.schemas.numbers import parse_int

PERIODS = {"minute": 60.0}
KEYS = ("user", "endpoint")


def normalize(raw: list[Any]) -> list[dict[str, Any]]:
    """The stored form of a rate-limits list; 400 for anything else than whole positive calls per minute."""
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidParameter("Each rate limit is an object {calls, key, renewal_period}.")
        calls = parse_int(item.get("calls"), "calls", 1, 2**31 - 1)
        key = item.get("key") or "endpoint"
        period = item.get("renewal_period") or "minute"
        if key not in KEYS:
            raise InvalidParameter(f"Rate limit key must be one of {', '.join(KEYS)}, got '{key}'.")
        if period not in PERIODS:
            raise InvalidParameter(f"Rate limit renewal_period must be one of {', '.join(PERIODS)}, got '{period}'.")
        out.append({"calls": calls, "key": key, "renewal_period": period})
    return out


class RateLimiter:
    """Fixed-window counters per (endpoint, limit key, user)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str, str], tuple[float, int]] = {}

    def check(self, endpoint: str, limits: list[dict[str, Any]], user: str) -> None:
        now = time.monotonic()
        taken: list[tuple[tuple[str, str, str], float, int]] = []
        for limit in limits:
            period = PERIODS[limit["renewal_period"]]
            who = user if limit["key"] == "user" else ""
            key = (endpoint, limit["key"], who)
            start, count = self._windows.get(key, (now, 0))
            if now - start >= period:
                start, count = now, 0
            if count >= limit["calls"]:
                retry = max(1, math.ceil(start + period - now))
                err = RequestLimitExceeded(
                    f"Rate limit of serving endpoint '{endpoint}' exceeded: {limit['calls']} calls per "
                    f"{limit['renewal_period']} per {limit['key']}; retry in {retry} s."
                )
                err.headers = {"Retry-After": str(retry)}
                raise err
            taken.append((key, start, count))
        # Counted only once every limit allowed the call.
        for key, start, count in taken:
            self._windows[key] = (start, count + 1)
