"""The Unity Catalog audit log: every change (written in the transaction of the change it records) and every
denied access (written in a transaction of its own once the denied request has rolled back), append-only,
readable by admins."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from regista.errors import InvalidParameter
from regista.server.catalog.stores import lineage_audit as store
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.permissions.services.authz import require_admin
from regista.server.search.page_cursor import Page, paginate

log = logging.getLogger("regista.catalog.audit")

ALLOWED = "ALLOWED"
DENIED = "DENIED"
MAX_RESULTS = 1000


def _entry(ctx: Context, action: str, securable_type: str, full_name: str, result: str,
           detail: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "time": now_ms(),
        "principal": ctx.principal.name,
        "action": action,
        "securable_type": securable_type,
        "full_name": full_name,
        "result": result,
        "detail": orjson.dumps(detail).decode() if detail else None,
    }


def changed(ctx: Context, action: str, securable_type: str, full_name: str,
            detail: dict[str, Any] | None = None) -> None:
    """Record a change, in the request's transaction: it is kept exactly when the change is."""
    store.append_audit(ctx.conn, _entry(ctx, action, securable_type, full_name, ALLOWED, detail))


def denied(ctx: Context, action: str, securable_type: str, full_name: str) -> None:
    """Record a denied access once the request (which fails) has rolled back."""
    entry = _entry(ctx, action, securable_type, full_name, DENIED, None)
    uow = ctx.uow

    def write() -> None:
        writer = uow.writer()
        try:
            store.append_audit(writer.conn, entry)
            writer.finish(commit=True)
        except BaseException:
            writer.finish(commit=False)
            raise

    ctx.on_rollback(write)


def audit_json(row: Any) -> dict[str, Any]:
    out = {
        "id": str(row.id),
        "time": row.time,
        "principal": row.principal,
        "action": row.action,
        "securable_type": row.securable_type,
        "full_name": row.full_name,
        "result": row.result,
    }
    if row.detail:
        out["detail"] = orjson.loads(row.detail)
    return out


def search(ctx: Context, principal: str | None, full_name: str | None, result: str | None, action: str | None,
           max_results: int | None, page_token: str | None) -> Page[dict[str, Any]]:
    """Audit entries, newest first, filtered; admins only."""
    require_admin(ctx, "read the audit log")
    if result is not None and result not in (ALLOWED, DENIED):
        raise InvalidParameter(f"result must be {ALLOWED} or {DENIED}, got '{result}'.")
    limit = max_results or 100
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_RESULTS}, got {limit}.")
    where = store.audit_filters(principal, full_name, result, action)
    page = paginate(page_token, limit, lambda offset, n: store.search_audit(ctx.conn, where, offset, n))
    return page.map(lambda rows: [audit_json(r) for r in rows])
