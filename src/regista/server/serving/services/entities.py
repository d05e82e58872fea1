"""Served entities: what `entity_name` and `entity_version` name (a workspace-registry model or a Unity
Catalog `catalog.schema.model`; a version number, `@alias`, or a stage) and where that version's files are.

Resolution goes through the registry and catalog services with the caller's context, so the caller must
be allowed to read the model: at create / update time that is the user, and in the supervisor (following
an alias or a stage) it is the server itself.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from regista.errors import InvalidParameter, NotFound
from regista.server.catalog.services import uc_models, uc_versions
from regista.server.context import Context
from regista.server.registry.services import aliases, model_versions, registered_models
from regista.server.registry.services.registry_rules import STAGE_BY_LOWER
from regista.server.storage.uris import store_path


@dataclass(frozen=True)
class Resolved:
    """A served entity's concrete version and the store path (repository-relative) of its model files."""

    version: str
    rel_path: str


def is_unity_catalog(entity_name: str) -> bool:
    return entity_name.count(".") == 2


def _registry_files(ctx: Context, name: str, version: str) -> str:
    uri = model_versions.get_model_version_download_uri(ctx, name, version)
    rel = store_path(uri)
    if rel is None:
        raise InvalidParameter(
            f"Model version {name}/{version} is stored outside this server ({uri}); only models whose files "
            "this server stores can be served."
        )
    return rel


def _workspace(ctx: Context, name: str, spec: str) -> Resolved:
    if spec.startswith("@"):
        version = str(aliases.get_model_version_by_alias(ctx, name, spec[1:])["version"])
    elif spec.lower() in STAGE_BY_LOWER:
        stage = STAGE_BY_LOWER[spec.lower()]
        latest = registered_models.get_latest_versions(ctx, name, [stage])
        if not latest:
            raise InvalidParameter(f"Registered model '{name}' has no version in stage {stage}.")
        version = str(latest[-1]["version"])
    else:
        version = spec
    return Resolved(version, _registry_files(ctx, name, version))


def _unity_catalog(ctx: Context, full_name: str, spec: str) -> Resolved:
    if spec.startswith("@"):
        _, number = uc_models.version_of_alias(ctx, full_name, spec[1:])
        spec = str(number)
    elif spec.lower() in STAGE_BY_LOWER:
        raise InvalidParameter("Unity Catalog models have no stages; serve a version number or an @alias.")
    _, row = uc_versions.ready_version(ctx, full_name, spec, "getModelVersion")
    return Resolved(str(row.version), str(row.storage_path))


def resolve(ctx: Context, entity_name: str, spec: str) -> Resolved:
    """The concrete version `spec` names now (400/403/404 from the owning domain when it names nothing)."""
    if not spec:
        raise InvalidParameter(f"Served entity '{entity_name}' needs an entity_version (a number, @alias or stage).")
    if is_unity_catalog(entity_name):
        return _unity_catalog(ctx, entity_name, spec)
    return _workspace(ctx, entity_name, spec)


def local_model_dir(ctx: Context, rel_path: str, cache_root: str) -> str:
    """A local directory holding the model's files: the store's own on a local store, otherwise a copy
    downloaded once into `cache_root` (named by a hash of the path; versions' files never change)."""
    repo = ctx.artifacts
    if repo.is_local:
        path = repo.ensure_inside(repo.full_path(rel_path))
        if not os.path.isdir(path):
            raise NotFound(f"The model files at '{rel_path}' are missing from the artifact store.")
        return path
    target = os.path.join(cache_root, hashlib.sha256(rel_path.encode()).hexdigest()[:32])
    if not os.path.isdir(target):
        tmp = target + ".part"
        repo.fs.get(repo.full_path(rel_path), tmp, recursive=True)
        os.replace(tmp, target)
    return target
