"""Validation rules of the tracking services (MLflow's limits and wording); the shared ones are server/validation.py."""

from __future__ import annotations

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX, INT32_MIN, IntegerValueError, to_int
from regista.server.validation import MAX_ENTITY_KEY_LENGTH, invalid_value, validate_length, validate_name

MAX_PARAM_VAL_LENGTH = 6000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
MAX_RESULTS_SEARCH = 50000
MAX_DATASET_NAME_SIZE = 500
MAX_DATASET_DIGEST_SIZE = 36
MAX_DATASET_SOURCE_SIZE = 65535
MAX_DATASET_SCHEMA_SIZE = 1048575
MAX_INPUT_TAG_KEY_SIZE = 255
MAX_INPUT_TAG_VALUE_SIZE = 500

# Lengths of the columns these values land in, checked here so that SQLite (which would store anything)
# and PostgreSQL (which would refuse) answer the same 400.
MAX_RUN_NAME_LENGTH = 250
MAX_RUN_USER_ID_LENGTH = 256
MAX_LOGGED_MODEL_NAME_LENGTH = 500
MAX_ARTIFACT_LOCATION_LENGTH = 2000


def validate_artifact_location_length(location: str | None) -> None:
    """MLflow's wording (its limit is configurable; ours is the column's)."""
    if location is not None and len(location) > MAX_ARTIFACT_LOCATION_LENGTH:
        raise InvalidParameter(
            "Invalid artifact path length. The length of the artifact path cannot be greater than "
            f"{MAX_ARTIFACT_LOCATION_LENGTH} characters."
        )


def validate_param(key: str | None, value: str | None, path: str = "") -> None:
    validate_name(key, f"{path}.key" if path else "key")
    validate_length("Param key", MAX_ENTITY_KEY_LENGTH, key)
    if value is None:
        raise InvalidParameter(f"Missing value for required parameter '{path + '.' if path else ''}value'.")
    # Over-long values are truncated by the caller (MLflow's MLFLOW_TRUNCATE_LONG_VALUES default), not refused.


def validate_metric(key: str | None, value: float | None, timestamp: int | None, path: str = "") -> None:
    prefix = f"{path}." if path else ""
    validate_name(key, f"{prefix}key")
    if value is None:
        raise InvalidParameter(f"Missing value for required parameter '{prefix}value'.")
    if timestamp is None:
        raise InvalidParameter(f"Missing value for required parameter '{prefix}timestamp'.")
    if timestamp < 0:
        raise InvalidParameter(
            invalid_value(
                f"{prefix}timestamp",
                timestamp,
                f"metric '{key}' (value={value}). Timestamp must be a nonnegative long (64-bit integer) ",
            )
        )
    validate_length("Metric name", MAX_ENTITY_KEY_LENGTH, key)


def validate_batch_limits(n_metrics: int, n_params: int, n_tags: int) -> None:
    for entity, limit, n in (
        ("metrics", MAX_METRICS_PER_BATCH, n_metrics),
        ("params", MAX_PARAMS_TAGS_PER_BATCH, n_params),
        ("tags", MAX_PARAMS_TAGS_PER_BATCH, n_tags),
        ("metrics, params, and tags", MAX_ENTITIES_PER_BATCH, n_metrics + n_params + n_tags),
    ):
        if n > limit:
            raise InvalidParameter(
                f"A batch logging request can contain at most {limit} {entity}. Got {n} {entity}. "
                f"Please split up {entity} across multiple requests and try again."
            )


def parse_experiment_id(experiment_id: str | int | None, path: str = "experiment_id") -> int:
    """Experiment ids are strings on the wire and integers here; anything else is a 400 (or not found)."""
    if experiment_id is None or experiment_id == "":
        raise InvalidParameter(f"Missing value for required parameter '{path}'.")
    try:
        # Ids are INTEGER columns: ASCII digits within int32 (a larger id cannot exist, and must not
        # reach the database, where it would be an overflow error).
        return to_int(experiment_id, INT32_MIN, INT32_MAX)
    except IntegerValueError as err:
        raise InvalidParameter(
            f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer: {err.reason}"
        ) from None
