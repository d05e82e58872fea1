"""Unity Catalog registered models: create, get, update (comment, rename, owner), delete, search (filtered by
privileges inside the query), tags and aliases (at most `uc_alias_limit` per model)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from regista.errors import AlreadyExists, InvalidParameter
from regista.server.catalog.services import audit, names
from regista.server.catalog.services import privileges as priv
from regista.server.catalog.services.owners import owner_id_for
from regista.server.catalog.stores import privileges as grant_store
from regista.server.catalog.stores import securables as schema_store
from regista.server.catalog.stores import uc_models as store
from regista.server.catalog.stores import uc_versions as version_store
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.validation import validate_tag

FUNCTION = grant_store.FUNCTION
_ALIAS_RE = re.compile(r"^[\w\-]+$")
_RESERVED_VERSION_RE = re.compile(r"^[vV]\d+$")


@dataclass(frozen=True)
class Model:
    """A model row with its full name and the caller's effective privileges on it."""

    row: Any
    held: priv.Held

    @property
    def full_name(self) -> str:
        return names.join(self.row.catalog_name, self.row.schema_name, self.row.name)

    @property
    def id(self) -> int:
        return int(self.row.id)


def find_row(ctx: Context, full_name: str) -> Any:
    c, s, m = names.model_name(full_name)
    row = store.find_model(ctx.conn, c, s, m)
    if row is None:
        raise store.not_found(names.join(c, s, m))
    return row


def held_on(ctx: Context, row: Any) -> priv.Held:
    return priv.held(ctx, priv.Ref(row.catalog_id, row.catalog_owner_id),
                     priv.Ref(row.schema_id, row.schema_owner_id), row)


def authorized(ctx: Context, full_name: str, allowed: Sequence[str], action: str, needs: str) -> Model:
    """The model, once the caller may use its catalog and schema and holds one of `allowed` on it."""
    row = find_row(ctx, full_name)
    model = Model(row, held_on(ctx, row))
    priv.require(ctx, model.held.on_model(allowed), action, FUNCTION, model.full_name,
                 f"USE_CATALOG, USE_SCHEMA and {needs}")
    return model


def readable(ctx: Context, full_name: str, action: str = "getRegisteredModel") -> Model:
    return authorized(ctx, full_name, priv.READ, action, "EXECUTE")


def manageable(ctx: Context, full_name: str, action: str) -> Model:
    return authorized(ctx, full_name, priv.CHANGE, action, "ownership or MANAGE")


def _stamp(ctx: Context) -> dict[str, Any]:
    return {"updated_at": now_ms(), "updated_by": ctx.principal.name}


def create_model(ctx: Context, full_name: str, comment: str | None, tags: dict[str, str | None]) -> Model:
    """A new model owned by the caller; needs CREATE_MODEL (or CREATE_FUNCTION) on the schema."""
    c, s, m = names.model_name(full_name)
    schema = schema_store.find_schema(ctx.conn, c, s)
    if schema is None:
        raise schema_store.schema_not_found(names.join(c, s))
    held = priv.held(ctx, priv.Ref(schema.catalog_id, schema.catalog_owner_id), schema)
    priv.require(ctx, held.on_schema(priv.CREATE), "createRegisteredModel", grant_store.SCHEMA, names.join(c, s),
                 "USE_CATALOG, USE_SCHEMA and CREATE_MODEL")
    for key, value in tags.items():
        validate_tag(key, value, value_required=False)
    if store.find_model(ctx.conn, c, s, m) is not None:
        raise AlreadyExists(f"Registered model '{names.join(c, s, m)}' already exists.")
    now = now_ms()
    model_id = store.insert_model(ctx.conn, {
        "schema_id": schema.id, "name": m, "comment": comment, "owner_id": ctx.principal.identity_id,
        "created_at": now, "created_by": ctx.principal.name, "updated_at": now, "updated_by": ctx.principal.name,
        "next_version": 1,
    })
    store.set_tags(ctx.conn, model_id, tags)
    audit.changed(ctx, "createRegisteredModel", FUNCTION, names.join(c, s, m))
    ctx.record("uc_registered_model.created", {"name": names.join(c, s, m)})
    row = find_row(ctx, names.join(c, s, m))
    return Model(row, held_on(ctx, row))


def update_model(ctx: Context, full_name: str, comment: str | None, new_name: str | None,
                 owner: str | None) -> Model:
    """Change the comment (owner or MANAGE), the name (also CREATE_MODEL on the schema) or the owner."""
    model = manageable(ctx, full_name, "updateRegisteredModel")
    values = _stamp(ctx)
    detail: dict[str, Any] = {}
    if comment is not None:
        values["comment"] = detail["comment"] = comment
    if owner is not None:
        values["owner_id"] = owner_id_for(ctx, owner)
        detail["owner"] = owner
    target = model.full_name
    if new_name:
        target = _rename_target(ctx, model, new_name)
        if target != model.full_name:
            values["name"] = target.rsplit(".", 1)[1]
            detail["new_name"] = target
    store.update_model(ctx.conn, model.id, values)
    audit.changed(ctx, "updateRegisteredModel", FUNCTION, model.full_name, detail)
    ctx.record("uc_registered_model.updated", {"name": model.full_name, **detail})
    row = find_row(ctx, target)
    return Model(row, held_on(ctx, row))


def _rename_target(ctx: Context, model: Model, new_name: str) -> str:
    """The full name after a rename: `new_name` is a bare model name or a full name in the same schema."""
    row = model.row
    if "." in new_name:
        c, s, m = names.model_name(new_name)
        if (c, s) != (row.catalog_name, row.schema_name):
            raise InvalidParameter(
                f"Cannot rename '{model.full_name}' to '{new_name}': a model is renamed within its schema."
            )
    else:
        m = names.part(new_name, "model")
    target = names.join(row.catalog_name, row.schema_name, m)
    if target == model.full_name:
        return target
    priv.require(ctx, model.held.on_schema(priv.CREATE), "renameRegisteredModel", grant_store.SCHEMA,
                 names.join(row.catalog_name, row.schema_name), "CREATE_MODEL")
    if store.find_model(ctx.conn, row.catalog_name, row.schema_name, m) is not None:
        raise AlreadyExists(f"Registered model '{target}' already exists.")
    return target


def delete_model(ctx: Context, full_name: str) -> None:
    """The model, its versions, aliases, tags and grants; its files go once the deletion has committed."""
    model = manageable(ctx, full_name, "deleteRegisteredModel")
    for path in version_store.storage_paths_of_model(ctx.conn, model.id):
        ctx.after_commit(functools.partial(ctx.artifacts.delete, path))
    grant_store.forget_securables(ctx.conn, [(FUNCTION, model.id)])
    store.delete_model(ctx.conn, model.id)
    audit.changed(ctx, "deleteRegisteredModel", FUNCTION, model.full_name)
    ctx.record("uc_registered_model.deleted", {"name": model.full_name})


# -- tags ---------------------------------------------------------------------------------------------------

def set_tag(ctx: Context, full_name: str, key: str, value: str | None) -> None:
    model = authorized(ctx, full_name, priv.TAG, "setRegisteredModelTag", "APPLY_TAG")
    validate_tag(key, value, value_required=False)
    store.set_tags(ctx.conn, model.id, {key: value})
    store.touch_model(ctx.conn, model.id, now_ms(), ctx.principal.name)
    audit.changed(ctx, "setRegisteredModelTag", FUNCTION, model.full_name, {"key": key})


def delete_tag(ctx: Context, full_name: str, key: str) -> None:
    model = authorized(ctx, full_name, priv.TAG, "deleteRegisteredModelTag", "APPLY_TAG")
    if store.delete_tag(ctx.conn, model.id, key):
        audit.changed(ctx, "deleteRegisteredModelTag", FUNCTION, model.full_name, {"key": key})


# -- aliases --------------------------------------------------------------------------------------------------

def validate_alias(alias: str) -> None:
    if not alias or not _ALIAS_RE.match(alias) or len(alias) > 255:
        raise InvalidParameter(
            f"Invalid alias name: '{alias}'. Aliases may only contain alphanumerics, underscores and dashes, "
            "and must be at most 255 characters long."
        )
    if alias.lower() == "latest" or _RESERVED_VERSION_RE.match(alias):
        raise InvalidParameter(f"Invalid alias name: '{alias}'. Alias names 'latest' and 'v<number>' are reserved.")


def set_alias(ctx: Context, full_name: str, alias: str, version: int) -> Model:
    """Point `alias` at a version (moving it); a new alias beyond the model's limit is refused."""
    validate_alias(alias)
    model = manageable(ctx, full_name, "setRegisteredModelAlias")
    row = version_store.find_version(ctx.conn, model.id, version)
    if row is None:
        raise version_store.not_found(model.full_name, version)
    previous = store.find_alias(ctx.conn, model.id, alias)
    if previous == version:
        return model  # already there: nothing changes, so nothing is audited or recorded (as in the workspace)
    limit = ctx.settings.uc_alias_limit
    if previous is None and store.count_aliases(ctx.conn, model.id) >= limit:
        raise InvalidParameter(
            f"Registered model '{model.full_name}' already has {limit} aliases, the most a model may have; "
            "delete one before adding another."
        )
    store.set_alias(ctx.conn, model.id, alias, version)
    audit.changed(ctx, "setRegisteredModelAlias", FUNCTION, model.full_name, {"alias": alias, "version": version})
    ctx.record("uc_model_version_alias.created", {"name": model.full_name, "alias": alias, "version": str(version)})
    return model


def delete_alias(ctx: Context, full_name: str, alias: str) -> None:
    validate_alias(alias)
    model = manageable(ctx, full_name, "deleteRegisteredModelAlias")
    if store.delete_alias(ctx.conn, model.id, alias):
        audit.changed(ctx, "deleteRegisteredModelAlias", FUNCTION, model.full_name, {"alias": alias})


def version_of_alias(ctx: Context, full_name: str, alias: str) -> tuple[Model, int]:
    model = readable(ctx, full_name, "getModelVersionByAlias")
    version = store.find_alias(ctx.conn, model.id, alias)
    if version is None:
        raise InvalidParameter(f"Registered model alias {alias} not found.")
    return model, version
