"""Validation rules of the registry services: names, versions, stages, id lengths (tags: server/validation.py)."""

from __future__ import annotations

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX, IntegerValueError, to_int

STAGES = ("None", "Staging", "Production", "Archived")
STAGE_BY_LOWER = {s.lower(): s for s in STAGES}
# Stages in which a version may be deleted (and its model deleted or renamed).
RESTING_STAGES = frozenset({"None", "Archived"})
# MLflow's limit on registered model and model version tag values.
MAX_REGISTRY_TAG_VAL_LENGTH = 100_000


def validate_model_name(name: str, param: str = "name") -> None:
    if not name or not name.strip():
        raise InvalidParameter(f"Registered model name cannot be empty (parameter '{param}').")
    if "/" in name or ":" in name:
        raise InvalidParameter(f"Invalid registered model name '{name}': names cannot contain '/' or ':'.")
    if len(name) > 256:
        raise InvalidParameter(f"Registered model name is longer than 256 characters: '{name[:40]}...'.")


def parse_version(version: str | int) -> int:
    """Versions travel as strings; anything but a non-negative integer (ASCII digits, in the column's
    int32 range) is a 400, so '²' or '٣' never resolves to another version."""
    try:
        return to_int(version, 0, INT32_MAX)
    except IntegerValueError:
        raise InvalidParameter(f"Parameter 'version' must be an integer, got '{version}'.") from None


def canonical_stage(stage: str) -> str:
    """`staging`, `STAGING` ... -> `Staging`; unknown stages are a 400."""
    canonical = STAGE_BY_LOWER.get((stage or "").strip().lower())
    if canonical is None:
        raise InvalidParameter(
            f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(STAGES)}."
        )
    return canonical


def validate_id_length(value: str | None, param: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise InvalidParameter(f"Invalid value for parameter '{param}': longer than {limit} characters.")
