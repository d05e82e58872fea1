"""Who may use an evaluation dataset, and the one normaliser of dataset ids.

The rule: a dataset belongs to the experiments it is linked to. Reading it (its fields, records and links)
needs CAN_READ on every linked experiment, changing it (tags, records, links, deletion) CAN_EDIT on every
one, so a link never lets a dataset leak out of an experiment its reader cannot see. A dataset linked to no
experiment is its creator's: only they and admins may read or change it. Linking a dataset to an experiment
also needs CAN_EDIT on that experiment.
"""

from __future__ import annotations

import re
from typing import Any

from regista.errors import NotFound, PermissionDenied
from regista.server.context import Context
from regista.server.datasets.stores import datasets as store
from regista.server.permissions.services import authz

ID_PATTERN = re.compile(r"^d-[0-9a-f]{32}$")
# How much of a malformed id an error message repeats.
_ECHO = 100


def echo(value: str) -> str:
    return value if len(value) <= _ECHO else value[:_ECHO] + "..."


def find(ctx: Context, dataset_id: str) -> Any | None:
    """The dataset's row, or None for an unknown or malformed id (ids are ours: d- and 32 hex digits, so
    anything else cannot exist and never reaches the database)."""
    if not ID_PATTERN.match(dataset_id):
        return None
    return store.find_dataset(ctx.conn, dataset_id)


def not_found(dataset_id: str) -> NotFound:
    # MLflow's wording; the client and MLflow's tests match "not found".
    return NotFound(f"Evaluation dataset with id '{echo(dataset_id)}' not found")


def require(ctx: Context, row: Any, experiment_ids: list[int], level: str) -> None:
    """PERMISSION_DENIED unless the caller may use the dataset at `level` (CAN_READ or CAN_EDIT)."""
    principal = ctx.principal
    if principal.is_admin:
        return
    if not experiment_ids:
        if row.owner_identity_id is not None and row.owner_identity_id == principal.identity_id:
            return
        raise PermissionDenied(
            f"User '{principal.name}' may not use evaluation dataset '{row.dataset_id}': it is linked to no "
            "experiment, so only its creator and admins may."
        )
    for eid in experiment_ids:
        authz.require_experiment_level(ctx, eid, level, str(eid))


def load(ctx: Context, dataset_id: str, level: str, missing: NotFound | None = None) -> tuple[Any, list[int]]:
    """The dataset's row and linked experiment ids once the caller may use it at `level`."""
    row = find(ctx, dataset_id)
    if row is None:
        raise missing or not_found(dataset_id)
    experiment_ids = store.experiment_ids_of(ctx.conn, [row.dataset_id]).get(row.dataset_id, [])
    require(ctx, row, experiment_ids, level)
    return row, experiment_ids
