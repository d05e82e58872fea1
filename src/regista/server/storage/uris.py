"""The one normaliser from URIs this server serves (mlflow-artifacts:/<path>, its proxy URLs) to canonical
repository-relative paths, and back (ADR 0004).

Every place that turns a URI into a path of the store goes through `store_path`: experiment locations when
they are created, run and logged-model locations, model version sources, registry copies. A store URI is
parsed once and refused (InvalidParameter) unless it names one canonical path: no query, fragment or
parameters, no `.`/`..` or empty segments, no backslash or control character, no percent-encoding inside
percent-encoding. What the canonical path is matches what the proxy serves for the same URI: a client
turns `mlflow-artifacts:/a%20b` into a request for `/a%20b`, which the HTTP server decodes once.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from regista.errors import InvalidParameter

ARTIFACTS_SCHEME = "mlflow-artifacts"
PROXY_PATH_MARKER = "/api/2.0/mlflow-artifacts/artifacts"
# The registry's own storage (ADR 0003): `_registry/<32 hex>/` per registered version.
REGISTRY_ROOT = "_registry"
# Unity Catalog model versions' files: `_catalog/<32 hex>/` per version, served only by the Files API
# (through the proxy, like any other path no object owns, they are for admins only).
CATALOG_ROOT = "_catalog"

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# Characters a path keeps unescaped in the URIs we hand out (besides letters, digits and "_.-~").
_SAFE = "/!$&'()*+,=:@"


def to_uri(rel_path: str) -> str:
    """The URI for a canonical repository-relative path; it resolves against whatever tracking URI the
    client uses. Escaped so that `store_path` gives `rel_path` back."""
    return f"{ARTIFACTS_SCHEME}:/{quote(rel_path.lstrip('/'), safe=_SAFE)}"


def store_path(uri: str) -> str | None:
    """The canonical repository-relative path `uri` names ("" for the store's root), or None when it
    names a location outside this store. InvalidParameter (with the reason) for a malformed store URI."""
    raw = _raw_store_path(uri)
    if raw is None:
        return None
    if any(c in uri for c in "?#;"):
        raise InvalidParameter(f"'{uri}': a location in the artifact store has no query, fragment or parameters.")
    return canonical_path(raw, uri)


def canonical_path(raw: str, uri: str) -> str:
    """The canonical form of the (still percent-encoded) path part of a store URI."""
    decoded = unquote(raw)
    if unquote(decoded) != decoded:
        raise InvalidParameter(f"'{uri}': percent-encoding inside percent-encoding is not allowed.")
    if _CONTROL_CHARS.search(decoded) or "\\" in decoded:
        raise InvalidParameter(f"'{uri}': backslashes and control characters are not allowed.")
    # One leading slash belongs to the URI syntax (`mlflow-artifacts:/x`, `mlflow-artifacts:///x`), a
    # trailing one marks a directory; any other empty segment, `.` or `..` is refused.
    trimmed = decoded[1:] if decoded.startswith("/") else decoded
    trimmed = trimmed[:-1] if trimmed.endswith("/") else trimmed
    segments = trimmed.split("/") if trimmed else []
    if any(s in ("", ".", "..") for s in segments):
        raise InvalidParameter(f"'{uri}': empty, '.' and '..' path segments are not allowed.")
    return "/".join(segments)


def is_registry_path(rel: str) -> bool:
    """Whether a canonical path lies in the registry's own storage."""
    return rel == REGISTRY_ROOT or rel.startswith(REGISTRY_ROOT + "/")


def within(rel: str, root: str) -> bool:
    """Whether canonical path `rel` is `root` or below it."""
    return root == "" or rel == root or rel.startswith(root + "/")


def _raw_store_path(uri: str) -> str | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme == ARTIFACTS_SCHEME:
        return parts.path
    if scheme in ("http", "https"):
        _, marker, tail = parts.path.partition(PROXY_PATH_MARKER)
        if marker and (tail == "" or tail.startswith("/")):
            return tail
    return None
