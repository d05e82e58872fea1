"""Summarize py-spy raw (collapsed-stack) profiles: `python -m benchmarks.profile_summary FILE... [--top N]`.

Prints the functions with the most self samples and the most inclusive samples (each function counted
once per stack), so that a slow phase's hot spots can be read without a flame-graph viewer.
`python -m benchmarks.run --py-spy DIR` writes one such file per server and phase.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# Leaf functions of threads that wait rather than work (py-spy's idle detection misses some of them).
IDLE_LEAVES = {"Condition.wait", "Queue.get", "Event.wait", "select", "_worker", "wait"}
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:12)` → `func (pkg/mod.py)`."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


def summarize(paths: list[Path], top: int = 25) -> str:
    self_c: Counter[str] = Counter()
    incl_c: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [_short(f) for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
            if not frames or frames[-1].split(" (")[0] in IDLE_LEAVES:
                continue
            total += n
            self_c[frames[-1]] += n
            for f in set(frames):
                incl_c[f] += n
    if not total:
        return "no samples"
    out = [f"{total} samples"]
    out.append(f"\ntop {top} self:")
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in self_c.most_common(top)]
    out.append(f"\ntop {top} inclusive:")
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in incl_c.most_common(top)]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarize(args.files, args.top))


if __name__ == "__main__":
    main()
