"""Per-endpoint request metrics (counts by served entity and status class, a latency histogram) and their
Prometheus text exposition, as `export_metrics` returns it."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

# Upper bounds of the latency histogram, in seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class _Series:
    requests: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    latency_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))


@dataclass
class EndpointMetrics:
    series: dict[str, _Series] = field(default_factory=lambda: defaultdict(_Series))
    throttled: int = 0

    def observe(self, served_name: str, status: int, seconds: float) -> None:
        s = self.series[served_name]
        s.requests += 1
        if 400 <= status < 500:
            s.errors_4xx += 1
        elif status >= 500:
            s.errors_5xx += 1
        s.latency_sum += seconds
        s.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def rejected(self) -> None:
        self.throttled += 1

    def prometheus(self, endpoint: str, inflight: int) -> str:
        lines: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")

        def label(served: str, extra: str = "") -> str:
            return f'{{endpoint_name="{_esc(endpoint)}",served_entity_name="{_esc(served)}"{extra}}}'

        items = sorted(self.series.items())
        family("request_count_total", "counter", "Requests answered by a served entity.")
        lines += [f"request_count_total{label(n)} {s.requests}" for n, s in items]
        family("request_4xx_count_total", "counter", "Requests answered with a 4xx status.")
        lines += [f"request_4xx_count_total{label(n)} {s.errors_4xx}" for n, s in items]
        family("request_5xx_count_total", "counter", "Requests answered with a 5xx status.")
        lines += [f"request_5xx_count_total{label(n)} {s.errors_5xx}" for n, s in items]
        family("request_latency_seconds", "histogram", "Time from routing a request to its answer.")
        for n, s in items:
            running = 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), s.buckets, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                extra = ',le="' + le + '"'
                lines.append(f"request_latency_seconds_bucket{label(n, extra)} {running}")
            lines.append(f"request_latency_seconds_sum{label(n)} {s.latency_sum:.6f}")
            lines.append(f"request_latency_seconds_count{label(n)} {s.requests}")
        family("request_throttled_count_total", "counter", "Requests refused (429) at the concurrency limit.")
        lines.append(f'request_throttled_count_total{{endpoint_name="{_esc(endpoint)}"}} {self.throttled}')
        family("concurrent_requests", "gauge", "Requests being handled now.")
        lines.append(f'concurrent_requests{{endpoint_name="{_esc(endpoint)}"}} {inflight}')
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
