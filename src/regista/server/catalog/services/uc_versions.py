"""Unity Catalog model versions: create (PENDING_REGISTRATION, files uploaded through the Files API),
finalize (READY, once the files hold an MLmodel whose signature has inputs and outputs), get, update,
delete, tags, and the expiry of versions never finalized."""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

import yaml
from sqlalchemy import Engine

from regista.errors import InvalidParameter, NotFound, PermissionDenied
from regista.schemas.numbers import INT32_MAX, parse_int
from regista.server.catalog.services import audit, lineage
from regista.server.catalog.services import privileges as priv
from regista.server.catalog.services.uc_models import Model, authorized, manageable, readable
from regista.server.catalog.stores import privileges as grant_store
from regista.server.catalog.stores import uc_models as model_store
from regista.server.catalog.stores import uc_versions as store
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.db.engine import write_transaction
from regista.server.permissions.services.authz import CAN_READ
from regista.server.storage.repository import ArtifactRepository
from regista.server.storage.uris import CATALOG_ROOT
from regista.server.tracking.services.logged_models import permitted_logged_model
from regista.server.validation import validate_tag

FUNCTION = grant_store.FUNCTION
PENDING = store.PENDING
READY = store.READY
MLMODEL = "MLmodel"
_LOGGED_MODEL_SOURCE = re.compile(r"/models/(m-[0-9a-f]{32})/artifacts/?$")
SIGNATURE_HELP = (
    "All models in Unity Catalog must be logged with a model signature containing both input and output "
    "type specifications (mlflow.models.infer_signature, or an input_example when logging)."
)


def version_number(version: str | int | None) -> int:
    if version is None or version == "":
        raise InvalidParameter("Missing value for required parameter 'version'.")
    return parse_int(str(version), "version", 1, INT32_MAX)


def version_row(ctx: Context, model: Model, version: str | int | None) -> Any:
    row = store.find_version(ctx.conn, model.id, version_number(version))
    if row is None:
        raise store.not_found(model.full_name, version_number(version))
    return row


def create_version(ctx: Context, full_name: str, source: str, run_id: str | None, comment: str | None,
                   tags: dict[str, str | None], logged_model_id: str | None) -> tuple[Model, Any]:
    """A new version, PENDING_REGISTRATION until finalize; needs ownership (or MANAGE) of the model.
    A source that is another UC version (`models:/c.s.m/v`, a copy) must be readable by the caller.
    The datasets the run read are recorded as the version's lineage."""
    model = manageable(ctx, full_name, "createModelVersion")
    if not source:
        raise InvalidParameter("Missing value for required parameter 'source'.")
    for key, value in tags.items():
        validate_tag(key, value)
    _check_copy_source(ctx, source)
    logged_model_id = logged_model_id or _logged_model_of(ctx, source)
    version = model_store.next_version(ctx.conn, model.id)
    now = now_ms()
    storage = f"{CATALOG_ROOT}/{uuid.uuid4().hex}"
    store.insert_version(ctx.conn, {
        "model_id": model.id, "version": version, "source": source, "run_id": run_id or None, "status": PENDING,
        "comment": comment, "storage_path": storage, "logged_model_id": logged_model_id or None,
        "created_at": now, "created_by": ctx.principal.name, "updated_at": now, "updated_by": ctx.principal.name,
    })
    store.set_tags(ctx.conn, model.id, version, tags)
    if run_id:
        lineage.record_run_inputs(ctx, model.id, version, run_id)
    audit.changed(ctx, "createModelVersion", FUNCTION, model.full_name, {"version": version, "source": source})
    ctx.record("uc_model_version.created", {"name": model.full_name, "version": str(version)})
    return model, store.find_version(ctx.conn, model.id, version)


def _logged_model_of(ctx: Context, source: str) -> str | None:
    """The logged model whose artifacts `source` is (the mlflow client resolves `models:/<model id>` to
    them and drops the id when its tracking server is not Databricks), if the caller may read it: a version
    that names its logged model can be copied by the client (copy_model_version reads it)."""
    match = _LOGGED_MODEL_SOURCE.search(source)
    if match is None:
        return None
    try:
        permitted_logged_model(ctx, match.group(1), CAN_READ)
    except (NotFound, PermissionDenied, InvalidParameter):
        return None
    return match.group(1)


def _check_copy_source(ctx: Context, source: str) -> None:
    """`models:/c.s.m/v` (copy_model_version): the caller must be able to read that version."""
    if not source.startswith("models:/"):
        return
    name, _, version = source[len("models:/"):].partition("/")
    if name.count(".") != 2:
        return
    try:
        model = readable(ctx, name, "copyModelVersion")
    except NotFound:
        raise InvalidParameter(f"The source '{source}' names no registered model.") from None
    version_row(ctx, model, version)


def finalize_version(ctx: Context, full_name: str, version: str | int | None) -> tuple[Model, Any]:
    """PENDING_REGISTRATION → READY, once the uploaded files hold an MLmodel with a full signature."""
    model = manageable(ctx, full_name, "finalizeModelVersion")
    row = version_row(ctx, model, version)
    if row.status == READY:
        return model, row
    _require_signature(ctx.artifacts, model.full_name, row)
    store.update_version(ctx.conn, model.id, row.version, {"status": READY, **_stamp(ctx)})
    audit.changed(ctx, "finalizeModelVersion", FUNCTION, model.full_name, {"version": row.version})
    ctx.record("uc_model_version.ready", {"name": model.full_name, "version": str(row.version)})
    return model, store.find_version(ctx.conn, model.id, row.version)


def _require_signature(artifacts: ArtifactRepository, full_name: str, row: Any) -> None:
    where = f"{row.storage_path}/{MLMODEL}"
    label = f"{full_name}/{row.version}"
    if not artifacts.is_file(where):
        raise InvalidParameter(f"Model version {label} has no MLmodel file: upload the model's files before "
                               "finalizing it.")
    try:
        meta = yaml.safe_load(b"".join(artifacts.iter_file(where)))
    except yaml.YAMLError:
        raise InvalidParameter(f"Model version {label}: its MLmodel file is not valid YAML.") from None
    signature = meta.get("signature") if isinstance(meta, dict) else None
    if not isinstance(signature, dict):
        raise InvalidParameter(
            f"Model version {label} did not contain any signature metadata. {SIGNATURE_HELP}"
        )
    if not signature.get("inputs") or not signature.get("outputs"):
        raise InvalidParameter(
            f"Model version {label} contained a signature without both inputs and outputs. {SIGNATURE_HELP}"
        )


def _stamp(ctx: Context) -> dict[str, Any]:
    return {"updated_at": now_ms(), "updated_by": ctx.principal.name}


def get_version(ctx: Context, full_name: str, version: str | int | None) -> tuple[Model, Any]:
    model = readable(ctx, full_name, "getModelVersion")
    return model, version_row(ctx, model, version)


def ready_version(ctx: Context, full_name: str, version: str | int | None, action: str) -> tuple[Model, Any]:
    """A version whose files may be read: READY (a version pending registration is not loadable)."""
    model = readable(ctx, full_name, action)
    row = version_row(ctx, model, version)
    if row.status != READY:
        raise InvalidParameter(
            f"Model version {model.full_name}/{row.version} is {row.status}: only READY versions can be loaded."
        )
    return model, row


def update_version(ctx: Context, full_name: str, version: str | int | None, comment: str | None) -> tuple[Model, Any]:
    model = manageable(ctx, full_name, "updateModelVersion")
    row = version_row(ctx, model, version)
    if comment is not None:
        store.update_version(ctx.conn, model.id, row.version, {"comment": comment, **_stamp(ctx)})
        audit.changed(ctx, "updateModelVersion", FUNCTION, model.full_name, {"version": row.version})
    return model, store.find_version(ctx.conn, model.id, row.version)


def delete_version(ctx: Context, full_name: str, version: str | int | None) -> None:
    """The version, its aliases and tags; its files go once the deletion has committed."""
    model = manageable(ctx, full_name, "deleteModelVersion")
    row = version_row(ctx, model, version)
    model_store.delete_aliases_of_version(ctx.conn, model.id, row.version)
    store.delete_version(ctx.conn, model.id, row.version)
    ctx.after_commit(functools.partial(ctx.artifacts.delete, row.storage_path))
    audit.changed(ctx, "deleteModelVersion", FUNCTION, model.full_name, {"version": row.version})
    ctx.record("uc_model_version.deleted", {"name": model.full_name, "version": str(row.version)})


def set_tag(ctx: Context, full_name: str, version: str | int | None, key: str, value: str | None) -> None:
    model = authorized(ctx, full_name, priv.TAG, "setModelVersionTag", "APPLY_TAG")
    row = version_row(ctx, model, version)
    validate_tag(key, value)
    store.set_tags(ctx.conn, model.id, row.version, {key: value})
    audit.changed(ctx, "setModelVersionTag", FUNCTION, model.full_name, {"version": row.version, "key": key})


def delete_tag(ctx: Context, full_name: str, version: str | int | None, key: str) -> None:
    model = authorized(ctx, full_name, priv.TAG, "deleteModelVersionTag", "APPLY_TAG")
    row = version_row(ctx, model, version)
    if store.delete_tag(ctx.conn, model.id, row.version, key):
        audit.changed(ctx, "deleteModelVersionTag", FUNCTION, model.full_name, {"version": row.version, "key": key})


def temporary_credentials(ctx: Context, full_name: str, version: str | int | None, operation: str | None) -> int:
    """Checks the caller may read (or, for READ_WRITE, upload to a pending) version; the answer tells the
    client to use the Files API (no cloud credentials exist here). Returns the expiry time."""
    if operation and operation.endswith("READ_WRITE"):
        model = manageable(ctx, full_name, "generateTemporaryModelVersionCredentials")
        version_row(ctx, model, version)
    else:
        ready_version(ctx, full_name, version, "generateTemporaryModelVersionCredentials")
    return now_ms() + 3600 * 1000


def expire_pending(engine: Engine, artifacts: ArtifactRepository, older_than_s: float,
                   limit: int | None = None) -> int:
    """Remove versions still PENDING_REGISTRATION created more than `older_than_s` ago (the oldest `limit`
    of them), and their files. Each is deleted only if it is still pending, so a version finalized meanwhile
    stays, and of two server processes sweeping at once only one removes (and deletes the files of) each.
    Returns how many were removed."""
    cutoff = now_ms() - int(older_than_s * 1000)
    with write_transaction(engine) as conn:
        removed = []
        for row in store.expired_pending(conn, cutoff, limit):
            if store.delete_expired_pending(conn, row.model_id, row.version, cutoff):
                model_store.delete_aliases_of_version(conn, row.model_id, row.version)
                removed.append(row)
    for row in removed:
        artifacts.delete(row.storage_path)
    return len(removed)

