"""The protobuf JSON forms of google.protobuf.Timestamp ("2025-01-02T03:04:05.678Z") and Duration ("1.5s"),
to and from milliseconds: the one parser and bound check for the times a trace carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from regista.errors import InvalidParameter

_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})"
)
_DURATION = re.compile(r"(?P<sign>-?)(?P<secs>\d{1,12})(?:\.(?P<frac>\d{1,9}))?s")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Timestamps beyond year 9999 cannot be written in RFC 3339; durations beyond 10^12 s are not protobuf's.
MAX_MS = 253402300799999


def parse_timestamp_ms(value: object, field: str) -> int:
    """Milliseconds since the epoch of a Timestamp in its JSON form; 400 for anything else."""
    m = _TIMESTAMP.fullmatch(value) if isinstance(value, str) and len(value) <= 40 else None
    if m is None:
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{field}' supplied: expected an RFC 3339 "
                               "timestamp such as '2025-01-02T03:04:05.678Z'.")
    try:
        stamp = datetime.fromisoformat(f"{m['date']}T{m['time']}{'+00:00' if m['zone'] == 'Z' else m['zone']}")
    except ValueError:
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{field}' supplied: not a valid date.") from None
    millis = (m["frac"] or "").ljust(3, "0")[:3]
    return (stamp - _EPOCH) // timedelta(milliseconds=1) + int(millis)


def parse_duration_ms(value: object, field: str) -> int:
    """Milliseconds of a Duration in its JSON form ("2.5s"); 400 for anything else or a negative one."""
    m = _DURATION.fullmatch(value) if isinstance(value, str) and len(value) <= 30 else None
    if m is None or m["sign"]:
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{field}' supplied: expected a "
                               "non-negative duration such as '1.5s'.")
    return int(m["secs"]) * 1000 + int((m["frac"] or "").ljust(3, "0")[:3])


def timestamp_json(ms: int) -> str:
    stamp = _EPOCH + timedelta(milliseconds=ms)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ms % 1000
    return f"{text}.{frac:03d}Z" if frac else f"{text}Z"


def duration_json(ms: int) -> str:
    secs, frac = divmod(ms, 1000)
    return f"{secs}.{frac:03d}s" if frac else f"{secs}s"
