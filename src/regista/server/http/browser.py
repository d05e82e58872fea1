"""Browser callers (the web UI): the session cookie, its CSRF token, and the checks the authentication
middleware applies to cookie-authenticated requests.

A state-changing request authenticated by the session cookie must prove it comes from our own page: it
carries the session's CSRF token, in the `X-CSRF` header (JavaScript) or the `csrf_token` field of a
form-encoded body (plain HTML forms). The token is derived from the session id (an HMAC), so it needs no
storage and is different for every session.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

SESSION_COOKIE = "regista_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = b"x-csrf"
# Where the authentication middleware puts the session's CSRF token for the page handlers to render.
CSRF_KEY = "regista.csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Forms are small; a larger form-encoded body from a cookie-authenticated browser is refused.
MAX_FORM_BYTES = 1 << 20


def csrf_token(session_secret: str) -> str:
    """The CSRF token of a session: an HMAC of a fixed label keyed by the session id."""
    return hmac.new(session_secret.encode(), b"regista-csrf", hashlib.sha256).hexdigest()


def header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def cookie(scope: Mapping[str, Any], name: str) -> str | None:
    """One cookie's value from the request's Cookie headers."""
    for key, value in scope["headers"]:
        if key != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            k, sep, v = part.strip().partition("=")
            if sep and k == name and v:
                return str(v)
    return None


def wants_page(scope: Mapping[str, Any]) -> bool:
    """A browser navigation (GET or HEAD asking for HTML): answered by a redirect to sign-in, not a 401."""
    return scope["method"] in ("GET", "HEAD") and "text/html" in (header(scope, b"accept") or "")


def signin_location(scope: Mapping[str, Any], signin_path: str) -> str:
    """The sign-in page, remembering the page asked for (path and query; never a token)."""
    target = scope.get("root_path", "") + scope["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        target += "?" + query
    return signin_path + "?" + urlencode({"next": target})


def form_csrf(body: bytes) -> str | None:
    """The csrf_token field of a form-encoded body, if any."""
    try:
        values = parse_qs(body.decode("utf-8"), max_num_fields=1000).get(CSRF_FIELD)
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0] if values else None


def is_form(scope: Mapping[str, Any]) -> bool:
    content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
    return content_type == "application/x-www-form-urlencoded"


def same_token(sent: str | None, expected: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())
