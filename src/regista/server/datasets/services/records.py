"""Evaluation dataset records: upsert (same inputs = same record), keyset-paged reads and deletion.

Records arrive as a JSON array in a string (MLflow's wire format). After every change the dataset's schema
(field -> type of inputs, outputs and expectations), profile (record count), digest and update time follow.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT64_MAX
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.datasets.schemas.views import record_json
from regista.server.datasets.services import access
from regista.server.datasets.services.datasets import MLFLOW_USER, digest
from regista.server.datasets.stores import datasets as dataset_store
from regista.server.datasets.stores import records as store
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.validation import validate_max_results

MAX_RECORDS_PER_UPSERT = 10_000
MAX_RECORDS_PAGE = 10_000
DEFAULT_RECORDS_PAGE = 1000
MAX_DELETE_IDS = 10_000
SOURCE_TYPES = ("UNSPECIFIED", "TRACE", "HUMAN", "DOCUMENT", "CODE")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _input_hash(inputs: dict[str, Any]) -> str:
    # Canonical JSON (sorted keys) so that the same inputs in any key order are the same record.
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _object(record: dict[str, Any], field: str, i: int) -> dict[str, Any] | None:
    value = record.get(field)
    if value is not None and not isinstance(value, dict):
        raise InvalidParameter(f"Invalid value for 'records[{i}].{field}': expected a JSON object.")
    return value


def _source(record: dict[str, Any], i: int) -> tuple[str | None, str | None, str | None]:
    """(source JSON, source_id, source_type) of a record's optional source object."""
    source = _object(record, "source", i)
    if not source:
        return None, None, None
    kind = source.get("source_type", "UNSPECIFIED")
    if not isinstance(kind, str) or kind.upper() not in SOURCE_TYPES:
        raise InvalidParameter(
            f"Invalid value for 'records[{i}].source.source_type': must be one of {list(SOURCE_TYPES)}."
        )
    kind = kind.upper()
    data = source.get("source_data") or {}
    if not isinstance(data, dict):
        raise InvalidParameter(f"Invalid value for 'records[{i}].source.source_data': expected a JSON object.")
    source_id = data.get("trace_id") if kind == "TRACE" else data.get("source_id")
    source_id = str(source_id)[:255] if source_id is not None else None
    return _dumps({"source_type": kind, "source_data": data}), source_id, kind


def parse_records(text: str | None) -> list[dict[str, Any]]:
    if text is None or text == "":
        raise InvalidParameter("Missing value for required parameter 'records'.")
    try:
        records = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidParameter("Invalid value for 'records': not valid JSON.") from None
    if not isinstance(records, list):
        raise InvalidParameter("Invalid value for 'records': expected a JSON array of records.")
    if len(records) > MAX_RECORDS_PER_UPSERT:
        raise InvalidParameter(f"At most {MAX_RECORDS_PER_UPSERT} records may be upserted at once, got {len(records)}.")
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise InvalidParameter(f"Invalid value for 'records[{i}]': each record must be a JSON object.")
        if _object(record, "inputs", i) is None:
            record["inputs"] = {}
        _object(record, "expectations", i)
        _object(record, "tags", i)
    return records


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for kind, name in ((int, "integer"), (float, "float"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return "unknown"


def _schema(existing: str | None, records: Sequence[dict[str, Any]]) -> str | None:
    """The dataset schema grown by the records' fields (a field's first-seen type stays)."""
    if not records and not existing:
        return None
    schema: dict[str, Any] = (
        orjson.loads(existing) if existing else {"inputs": {}, "outputs": {}, "expectations": {}, "version": "1.0"}
    )
    for record in records:
        for part in ("inputs", "expectations"):
            for key, value in (record.get(part) or {}).items():
                schema[part].setdefault(key, _type_name(value))
        outputs = record.get("outputs")
        if isinstance(outputs, dict):
            if isinstance(schema["outputs"], dict):
                for key, value in outputs.items():
                    schema["outputs"].setdefault(key, _type_name(value))
        elif outputs is not None and not schema["outputs"]:
            schema["outputs"] = _type_name(outputs)
    return _dumps(schema)


def upsert_records(ctx: Context, dataset_id: str, records_text: str | None) -> tuple[int, int]:
    """(inserted, updated). A record whose inputs equal an existing record's updates it: outputs replaced
    when given, expectations and tags merged; otherwise it is inserted."""
    records = parse_records(records_text)
    row, _ = access.load(ctx, dataset_id, CAN_EDIT)
    now = now_ms()
    hashes = [_input_hash(r["inputs"]) for r in records]
    existing = {h: record_json(r) for h, r in store.by_hashes(ctx.conn, dataset_id, hashes).items()}
    new: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    updated_by = None
    inserted = updated = 0
    for i, (record, h) in enumerate(zip(records, hashes, strict=True)):
        tags = record.get("tags") or None
        user = str(tags[MLFLOW_USER])[:255] if tags and MLFLOW_USER in tags else None
        updated_by = user or updated_by
        target = existing.get(h) or new.get(h)
        if target is None:
            source, source_id, source_type = _source(record, i)
            new[h] = {
                "dataset_record_id": f"dr-{uuid.uuid4().hex}",
                "dataset_id": dataset_id,
                "input_hash": h,
                "inputs": record["inputs"],
                "outputs": record.get("outputs"),
                "expectations": record.get("expectations"),
                "tags": tags,
                "source": source,
                "source_id": source_id,
                "source_type": source_type,
                "created_time": now,
                "last_update_time": now,
                "created_by": user,
                "last_updated_by": user,
            }
            inserted += 1
            continue
        if "outputs" in record:
            target["outputs"] = record["outputs"]
        if record.get("expectations"):
            target["expectations"] = {**(target.get("expectations") or {}), **record["expectations"]}
        if tags:
            target["tags"] = {**(target.get("tags") or {}), **tags}
        target["last_update_time"] = now
        if user:
            target["last_updated_by"] = user
        if h in existing:
            changed[h] = target
        updated += 1

    def text(value: Any) -> str | None:
        return None if value is None else _dumps(value)

    store.insert_records(
        ctx.conn,
        [
            {**r, "inputs": _dumps(r["inputs"]), "outputs": text(r["outputs"]),
             "expectations": text(r["expectations"]), "tags": text(r["tags"])}
            for r in new.values()
        ],
    )
    store.update_records(
        ctx.conn,
        [
            {
                "match_id": r["dataset_record_id"],
                "new_outputs": text(r.get("outputs")),
                "new_expectations": text(r.get("expectations")),
                "new_tags": text(r.get("tags")),
                "new_last_update_time": now,
                "new_last_updated_by": r.get("last_updated_by"),
            }
            for r in changed.values()
        ],
    )
    count = store.count(ctx.conn, dataset_id)
    values: dict[str, Any] = {
        "last_update_time": now,
        "last_updated_by": updated_by,
        "digest": digest(row.name, now),
        "profile": _dumps({"num_records": count}) if count else row.profile,
    }
    schema = _schema(row.schema, records)
    if schema is not None:
        values["schema"] = schema
    dataset_store.update_dataset(ctx.conn, dataset_id, **values)
    return inserted, updated


def _cursor(created_time: int, record_id: str) -> str:
    # The official server's cursor: base64 of "<created_time>:<dataset_record_id>".
    return base64.b64encode(f"{created_time}:{record_id}".encode()).decode()


def _read_cursor(token: str | None) -> tuple[int, str] | None:
    if not token:
        return None
    try:
        created, record_id = base64.b64decode(token, validate=True).decode().split(":", 1)
        created_time = int(created)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidParameter(f"Invalid page token, could not decode it: {access.echo(token)!r}") from None
    if not 0 <= created_time <= INT64_MAX or len(record_id) > 64:
        raise InvalidParameter(f"Invalid page token, could not decode it: {access.echo(token)!r}")
    return created_time, record_id


def get_records(
    ctx: Context, dataset_id: str, max_results: int | None, page_token: str | None
) -> tuple[str, str | None]:
    """(records as JSON text, next page token or None), oldest first."""
    # 0 is protobuf's unset value: the default, as on the official server.
    max_results = max_results or None
    validate_max_results(max_results, MAX_RECORDS_PAGE)
    after = _read_cursor(page_token)
    access.load(ctx, dataset_id, CAN_READ)
    limit = max_results or DEFAULT_RECORDS_PAGE
    rows = list(store.page(ctx.conn, dataset_id, after, limit + 1))
    next_token = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_token = _cursor(rows[-1].created_time, rows[-1].dataset_record_id)
    return _dumps([record_json(r) for r in rows]), next_token


def delete_records(ctx: Context, dataset_id: str, record_ids: Sequence[str]) -> int:
    if len(record_ids) > MAX_DELETE_IDS:
        raise InvalidParameter(f"At most {MAX_DELETE_IDS} dataset_record_ids may be given, got {len(record_ids)}.")
    row, _ = access.load(ctx, dataset_id, CAN_EDIT)
    ids = [r for r in dict.fromkeys(record_ids) if len(r) <= 64]
    deleted = store.delete_records(ctx.conn, dataset_id, ids)
    if deleted:
        count = store.count(ctx.conn, dataset_id)
        now = now_ms()
        dataset_store.update_dataset(
            ctx.conn,
            dataset_id,
            profile=_dumps({"num_records": count}) if count else None,
            last_update_time=now,
            digest=digest(row.name, now),
        )
    return deleted
