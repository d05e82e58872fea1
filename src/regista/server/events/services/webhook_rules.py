"""Rules both webhook APIs share: where a webhook may point, and the event and status vocabularies."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from regista.errors import InvalidParameter
from regista.server.context import Context
from regista.server.storage.external import outbound_refusal

MAX_URL_LENGTH = 4000
MAX_DESCRIPTION_LENGTH = 5000


def check_target(ctx: Context, url: str, what: str = "webhook URL") -> None:
    """Refuse a target the server must not call (SSRF): see storage/external.outbound_refusal. The same rule
    is applied again to every connection at delivery time. Messages in MLflow's words where it has them."""
    if not url.strip():
        raise InvalidParameter(f"{what[0].upper() + what[1:]} cannot be empty or just whitespace: {url!r}")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidParameter(f"The {what} is longer than {MAX_URL_LENGTH} characters.")
    allowed = ("https", "http") if ctx.settings.webhook_allow_private else ("https",)
    try:
        scheme = urlsplit(url).scheme
    except ValueError as err:
        raise InvalidParameter(f"Invalid {what} {url!r}: {err}") from None
    if scheme not in allowed:
        raise InvalidParameter(f"Invalid {what} scheme: {scheme!r}. Allowed schemes are: {', '.join(allowed)}.")
    reason = outbound_refusal(url, ctx.settings.webhook_allow_private)
    if reason is not None:
        raise InvalidParameter(f"Invalid {what} {url!r}: {reason}.")


def check_choice(value: str, allowed: Iterable[str], field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{field}': must be one of {', '.join(allowed)}.")
    return value


def check_events(events: list[str], allowed: Iterable[str], field: str = "events") -> list[str]:
    """A non-empty list of known events, duplicates dropped (order kept)."""
    if not events:
        raise InvalidParameter(f"Webhook {field} must be a non-empty list.")
    allowed = tuple(allowed)
    for event in events:
        check_choice(event, allowed, field)
    return list(dict.fromkeys(events))


def check_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameter(f"Webhook description is longer than {MAX_DESCRIPTION_LENGTH} characters.")
