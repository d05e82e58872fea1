"""The delivery log for admins: list and filter deliveries with their attempts, look at one, replay."""

from __future__ import annotations

from typing import Any

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX, parse_int
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.events.schemas.deliveries import delivery_json
from regista.server.events.services.webhook_rules import check_choice
from regista.server.events.stores import deliveries as store
from regista.server.permissions.services import authz
from regista.server.search.page_cursor import paginate
from regista.server.validation import validate_max_results

MAX_RESULTS = 1000
CHANNELS = ("webhook", "email")


def _filters(state: str | None, channel: str | None) -> None:
    if state is not None:
        check_choice(state, store.STATES, "state")
    if channel is not None:
        check_choice(channel, CHANNELS, "channel")


def list_deliveries(
    ctx: Context, *, webhook_id: str | None = None, state: str | None = None, event: str | None = None,
    channel: str | None = None, max_results: int | None = None, page_token: str | None = None,
) -> dict[str, Any]:
    """Deliveries, newest first, each with its attempt log."""
    authz.require_admin(ctx, "read the delivery log")
    validate_max_results(max_results, MAX_RESULTS)
    _filters(state, channel)
    page = paginate(page_token, max_results or 100, lambda offset, limit: store.search_deliveries(
        ctx.conn, webhook_id=webhook_id, state=state, event=event, channel=channel, offset=offset, limit=limit))

    def views(rows: list[Any]) -> list[dict[str, Any]]:
        attempts: dict[int, list[Any]] = {}
        for attempt in store.attempts_of(ctx.conn, [r.id for r in rows]):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
        return [delivery_json(r, attempts.get(r.id, [])) for r in rows]

    return page.map(views).body("deliveries")


def get_delivery(ctx: Context, delivery_id: str) -> dict[str, Any]:
    authz.require_admin(ctx, "read the delivery log")
    row = store.get_delivery(ctx.conn, parse_int(delivery_id, "id", 1, INT32_MAX))
    return delivery_json(row, store.attempts_of(ctx.conn, [row.id]), with_payload=True)


def replay(
    ctx: Context, *, ids: list[int] | None = None, webhook_id: str | None = None, state: str | None = None,
    event: str | None = None, max_results: int | None = None,
) -> int:
    """Make deliveries due again now (a new retry window; earlier attempts stay in the log): those named,
    or those matching the filters. How many were queued."""
    authz.require_admin(ctx, "replay deliveries")
    validate_max_results(max_results, MAX_RESULTS)
    _filters(state, None)
    if ids:
        for delivery_id in ids:
            store.get_delivery(ctx.conn, delivery_id)
        chosen = list(dict.fromkeys(ids))
    elif webhook_id is None and state is None and event is None:
        raise InvalidParameter("Give the ids of the deliveries to replay, or filters (webhook_id, state, event).")
    else:
        rows = store.search_deliveries(ctx.conn, webhook_id=webhook_id, state=state, event=event, channel=None,
                                       offset=0, limit=max_results or MAX_RESULTS)
        chosen = [r.id for r in rows]
    now = now_ms()
    count = store.requeue(ctx.conn, chosen, now, now + int(ctx.settings.webhook_retry_window_s * 1000))
    ctx.record("deliveries.replayed", {"ids": [str(i) for i in chosen]})
    return count
