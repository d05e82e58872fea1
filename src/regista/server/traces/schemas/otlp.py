"""Decode an OTLP ExportTraceServiceRequest (protobuf, as the mlflow client and OpenTelemetry SDKs POST it to
/v1/traces) into MLflow's span dictionaries (the form of a trace's traces.json).

A small reader of the protobuf wire format for the fields MLflow keeps, so the server needs no protobuf
runtime. Unknown fields are skipped, as protobuf does; malformed input is a 400.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from typing import Any

import orjson

from regista.errors import InvalidParameter

# A nesting bound for AnyValue arrays and maps: input from the network must not recurse without end.
MAX_VALUE_DEPTH = 16
STATUS_CODES = {0: "STATUS_CODE_UNSET", 1: "STATUS_CODE_OK", 2: "STATUS_CODE_ERROR"}
REQUEST_ID_ATTRIBUTE = "mlflow.traceRequestId"


def _bad(why: str) -> InvalidParameter:
    return InvalidParameter(f"Malformed OTLP request body: {why}.")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _bad("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) for each field of one message: an int for varints and fixed
    numbers, bytes for length-delimited fields."""
    pos = 0
    value: Any
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise _bad("truncated fixed64")
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise _bad("truncated field")
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            if pos + 4 > len(buf):
                raise _bad("truncated fixed32")
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise _bad(f"unsupported wire type {wire}")
        yield number, wire, value


def _text(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        raise _bad("a string is not valid UTF-8") from None


def any_value(buf: bytes, depth: int = 0) -> Any:
    """An AnyValue as a plain Python value (None when unset)."""
    if depth > MAX_VALUE_DEPTH:
        raise _bad(f"attribute values nested more than {MAX_VALUE_DEPTH} deep")
    out: Any = None
    for number, wire, value in fields(buf):
        if number == 1 and wire == 2:
            out = _text(value)
        elif number == 2 and wire == 0:
            out = bool(value)
        elif number == 3 and wire == 0:
            out = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 4 and wire == 1:
            out = struct.unpack("<d", value.to_bytes(8, "little"))[0]
        elif number == 5 and wire == 2:
            out = [any_value(v, depth + 1) for n, w, v in fields(value) if n == 1 and w == 2]
        elif number == 6 and wire == 2:
            out = dict(_key_value(v, depth + 1) for n, w, v in fields(value) if n == 1 and w == 2)
        elif number == 7 and wire == 2:
            out = base64.b64encode(value).decode()
    return out


def _key_value(buf: bytes, depth: int = 0) -> tuple[str, Any]:
    key, value = "", None
    for number, wire, item in fields(buf):
        if number == 1 and wire == 2:
            key = _text(item)
        elif number == 2 and wire == 2:
            value = any_value(item, depth)
    return key, value


def _event(buf: bytes) -> dict[str, Any]:
    event: dict[str, Any] = {"name": "", "time_unix_nano": 0, "attributes": {}}
    for number, wire, value in fields(buf):
        if number == 1 and wire == 1:
            event["time_unix_nano"] = value
        elif number == 2 and wire == 2:
            event["name"] = _text(value)
        elif number == 3 and wire == 2:
            key, item = _key_value(value)
            event["attributes"][key] = item
    return event


def _status(buf: bytes) -> dict[str, str]:
    status = {"code": STATUS_CODES[0], "message": ""}
    for number, wire, value in fields(buf):
        if number == 2 and wire == 2:
            status["message"] = _text(value)
        elif number == 3 and wire == 0:
            status["code"] = STATUS_CODES.get(value, STATUS_CODES[0])
    return status


def mlflow_trace_id(otel_trace_id: bytes) -> str:
    return "tr-" + otel_trace_id.hex()


def _span(buf: bytes) -> dict[str, Any]:
    raw: dict[str, Any] = {"attributes": {}, "events": [], "status": _status(b""), "parent": b"",
                           "start": 0, "end": None, "name": "", "trace_id": b"", "span_id": b""}
    for number, wire, value in fields(buf):
        if number == 1 and wire == 2:
            raw["trace_id"] = value
        elif number == 2 and wire == 2:
            raw["span_id"] = value
        elif number == 4 and wire == 2:
            raw["parent"] = value
        elif number == 5 and wire == 2:
            raw["name"] = _text(value)
        elif number == 7 and wire == 1:
            raw["start"] = value
        elif number == 8 and wire == 1:
            raw["end"] = value
        elif number == 9 and wire == 2:
            key, item = _key_value(value)
            raw["attributes"][key] = item
        elif number == 11 and wire == 2:
            raw["events"].append(_event(value))
        elif number == 15 and wire == 2:
            raw["status"] = _status(value)
    if len(raw["trace_id"]) != 16 or len(raw["span_id"]) != 8:
        raise _bad("every span needs a 16-byte trace_id and an 8-byte span_id")
    if raw["start"] >= 1 << 63 or (raw["end"] or 0) >= 1 << 63:
        raise _bad("a span time is beyond the year 2262")
    if raw["parent"] and len(raw["parent"]) != 8:
        raise _bad("a parent_span_id has 8 bytes")
    # MLflow keeps span attributes JSON-encoded; the request id is derived from the OTLP trace id, never
    # taken from what the sender claims (as MLflow's own server does).
    attributes = {key: orjson.dumps(value).decode() for key, value in raw["attributes"].items()}
    attributes[REQUEST_ID_ATTRIBUTE] = orjson.dumps(mlflow_trace_id(raw["trace_id"])).decode()
    return {
        "trace_id": base64.b64encode(raw["trace_id"]).decode(),
        "span_id": base64.b64encode(raw["span_id"]).decode(),
        "parent_span_id": base64.b64encode(raw["parent"]).decode() if raw["parent"] else None,
        "name": raw["name"],
        "start_time_unix_nano": raw["start"],
        "end_time_unix_nano": raw["end"],
        "events": raw["events"],
        "status": raw["status"],
        "attributes": attributes,
        "links": [],
    }


def decode_export_request(body: bytes) -> list[tuple[str, str, dict[str, Any]]]:
    """(MLflow trace id, span id in hex, span dictionary) for every span of the request."""
    spans = []
    for n1, w1, resource_spans in fields(body):
        if n1 != 1 or w1 != 2:
            continue
        for n2, w2, scope_spans in fields(resource_spans):
            if n2 != 2 or w2 != 2:
                continue
            for n3, w3, span in fields(scope_spans):
                if n3 == 2 and w3 == 2:
                    converted = _span(span)
                    trace_hex = base64.b64decode(converted["trace_id"]).hex()
                    span_hex = base64.b64decode(converted["span_id"]).hex()
                    spans.append(("tr-" + trace_hex, span_hex, converted))
    return spans
