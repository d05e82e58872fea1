"""Who owns a path of the artifact store, who may read or write it, and what artifact location a new
experiment may have (ADR 0004).

A proxy path belongs to the object its first segment names:
- `<experiment id>/...` (runs under `<id>/<run id>/artifacts`, logged models under `<id>/models/...`):
  CAN_READ on the experiment to download or list, CAN_EDIT to upload or delete;
- `_registry/<uuid>/...` (the registry's copy of a model version): CAN_READ on the registered model to
  download or list; only admins write there (the registry writes these copies itself);
- anything else, including the store's root: admins only.
Admins pass without a query; everyone else costs one indexed grant lookup (plus the version lookup for
registry copies).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlsplit, urlunsplit

from regista.errors import InvalidParameter, PermissionDenied
from regista.server.context import Context
from regista.server.permissions.services import authz
from regista.server.permissions.services.authz import CAN_EDIT, CAN_READ
from regista.server.registry.services.registry_storage import registry_copy_owner
from regista.server.storage.external import forbidden_host, fully_decoded, has_parent_reference, is_local
from regista.server.storage.uris import REGISTRY_ROOT, is_registry_path, store_path, to_uri


@dataclass(frozen=True)
class PathOwner:
    """The object whose permissions govern a path of the store: an experiment, a registered model (for a
    registry copy), or nobody (admins only)."""

    kind: str  # "experiment", "registered_model" or "admins"
    object_id: int | None = None
    name: str = ""


ADMINS_ONLY = PathOwner("admins")


def _experiment_id(segment: str) -> int | None:
    """The experiment id a top-level directory names (canonical decimal only: `05` is another directory)."""
    if segment.isascii() and segment.isdigit() and str(int(segment)) == segment:
        return int(segment)
    return None


def path_owner(ctx: Context, rel: str) -> PathOwner:
    """Who owns the canonical repository-relative path `rel`, looked up from the path alone (never from
    whatever run or model a request claims it belongs to)."""
    parts = rel.split("/", 2) if rel else []
    top = parts[0] if parts else ""
    experiment_id = _experiment_id(top)
    if experiment_id is not None:
        return PathOwner("experiment", experiment_id, top)
    if top == REGISTRY_ROOT and len(parts) >= 2:
        owner = registry_copy_owner(ctx, to_uri(f"{REGISTRY_ROOT}/{parts[1]}"))
        if owner is not None:
            return PathOwner("registered_model", owner[0], owner[1])
    return ADMINS_ONLY


def authorize_path(ctx: Context, rel: str, write: bool) -> None:
    """Raise PERMISSION_DENIED unless the caller may read (or, with `write`, change) the canonical
    repository-relative path `rel` ("" is the store's root). Registry copies are written only by the
    registry itself, so writing there is for admins whoever owns the copy."""
    if ctx.principal.is_admin:
        return
    owner = path_owner(ctx, rel)
    if owner.kind == "experiment":
        assert owner.object_id is not None  # every owner but ADMINS_ONLY has an id
        authz.require_experiment_level(ctx, owner.object_id, CAN_EDIT if write else CAN_READ, owner.name)
        return
    if owner.kind == "registered_model" and not write:
        assert owner.object_id is not None
        authz.require_model_level(ctx, owner.object_id, CAN_READ, owner.name)
        return
    action = "write" if write else "read"
    raise PermissionDenied(
        f"User '{ctx.principal.name}' may not {action} artifacts at '{rel or '/'}': only admins may."
    )


def experiment_location(ctx: Context, location: str) -> str:
    """The artifact location to store for a new experiment, normalised once (ADR 0004).

    Inside the store: the canonical `mlflow-artifacts:/<path>`, never the whole store or the registry's
    storage, and only where the creator may write (their own experiments' directories; admins anywhere),
    so no experiment can put its runs, and what is registered from them, in someone else's directory.
    Elsewhere: kept as given, except that a relative path becomes absolute against the server's working
    directory as the official server makes it (a path the client writes to, never the server), and
    fragments, parameters, `..`, runs:/ URIs and loopback, link-local or metadata hosts are refused.
    """
    try:
        rel = store_path(location)
    except InvalidParameter as err:
        raise InvalidParameter(f"Invalid artifact_location {err.message}") from None
    if rel is not None:
        if rel == "" or is_registry_path(rel):
            raise InvalidParameter(f"Invalid artifact_location '{location}': the whole artifact store and the "
                                   "registry's own storage (_registry/) cannot hold an experiment's artifacts.")
        authorize_path(ctx, rel, write=True)
        return to_uri(rel)
    return _external_location(location)


def _external_location(location: str) -> str:
    try:
        parts = urlsplit(location)
    except ValueError:
        raise InvalidParameter(f"Invalid artifact_location '{location}': not a valid URI.") from None
    if "#" in location or urlparse(location).params:
        raise InvalidParameter("'artifact_location' URL can't include fragments or params.")
    if has_parent_reference(location) or ".." in urlsplit(fully_decoded(location)).query:
        raise InvalidParameter(f"Invalid artifact_location '{location}': '..' is not allowed.")
    if parts.scheme.lower() == "runs":
        raise InvalidParameter(f"Artifact location cannot be a runs:/ URI. Given: '{location}'")
    host = forbidden_host(location)
    if host is not None:
        raise InvalidParameter(f"Invalid artifact_location '{location}': '{host}' is a loopback, link-local "
                               "or metadata address.")
    if is_local(location) and len(parts.scheme) != 1:
        path = parts.path if parts.scheme == "file" else location
        if not posixpath.isabs(path):
            absolute = (Path.cwd() / path).as_posix()
            return absolute if parts.scheme == "" else urlunsplit(("file", parts.netloc, absolute, "", ""))
    return location
