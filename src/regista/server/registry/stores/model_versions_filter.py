"""Translate registry search filters and order_by into SQL for model versions.

Grammar: `name`, `run_id` (= != LIKE ILIKE IN NOT IN), `source_path` (= != LIKE ILIKE), numeric
`version_number`, `creation_timestamp`, `last_updated_timestamp` (= != > >= < <=), `tags.<k>` (EXISTS /
NOT EXISTS, see registered_models_filter), plus OR and parentheses. Versions of prompts are excluded
unless the filter mentions the prompt tag.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, select

from regista.errors import InvalidParameter
from regista.schemas.numbers import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, is_ascii_int
from regista.server.db.models import ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag
from regista.server.registry.stores.registered_models_filter import (
    PROMPT_TAG,
    mentions_prompt_tag,
    order_columns,
    readable_models,
    string_clause,
    tag_clause,
    translate,
)
from regista.server.search.filter_parser import Comparison, in_column_range, parse_filter

_STRING_ATTRS: dict[str, Any] = {
    "name": RegisteredModel.name,
    "run_id": ModelVersion.run_id,
    "source_path": ModelVersion.source,
}
_NUMERIC_ATTRS: dict[str, Any] = {
    "version_number": ModelVersion.version,
    "creation_timestamp": ModelVersion.creation_time,
    "last_updated_timestamp": ModelVersion.last_updated_time,
}
_NUMERIC_OPS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
}


def _mv_tag_exists(key: str, cond: ColumnElement[bool] | None) -> ColumnElement[bool]:
    conds = [
        ModelVersionTag.registered_model_id == ModelVersion.registered_model_id,
        ModelVersionTag.version == ModelVersion.version,
        ModelVersionTag.key == key,
    ]
    if cond is not None:
        conds.append(cond)
    return exists(select(1).select_from(ModelVersionTag).where(*conds))


def _numeric(column: Any, c: Comparison) -> ColumnElement[bool]:
    op = _NUMERIC_OPS.get(c.op)
    if op is None:
        raise InvalidParameter(f"Invalid comparator '{c.op}' for numeric attribute '{c.ident.key}'.")
    value = c.value
    if isinstance(value, str) and is_ascii_int(value) and len(value) <= 40:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameter(f"Invalid value for numeric attribute '{c.ident.key}': {c.value!r}")
    lo, hi = (INT32_MIN, INT32_MAX) if column is ModelVersion.version else (INT64_MIN, INT64_MAX)
    return op(column, in_column_range(value, c.ident.key, lo, hi))


def model_versions_where(text: str | None, dialect: str) -> ColumnElement[bool]:
    node = parse_filter(text, allow_or=True)

    def leaf(c: Comparison) -> ColumnElement[bool]:
        kind, key = c.ident.kind, c.ident.key
        if kind == "tag":
            return tag_clause(_mv_tag_exists, ModelVersionTag.value, c, dialect)
        if kind == "attribute" and key in _STRING_ATTRS:
            if key == "source_path" and c.op in ("IN", "NOT IN"):
                raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute 'source_path'.")
            return string_clause(_STRING_ATTRS[key], c, dialect)
        if kind == "attribute" and key in _NUMERIC_ATTRS:
            return _numeric(_NUMERIC_ATTRS[key], c)
        raise InvalidParameter(
            f"Invalid filter '{text}': invalid attribute '{key}'. Model versions can be searched by "
            "name, run_id, source_path, version_number, creation_timestamp, last_updated_timestamp "
            "and tags.<key>."
        )

    clauses = [] if node is None else [translate(node, leaf)]
    if not mentions_prompt_tag(node):
        clauses.append(
            not_(
                exists(
                    select(1)
                    .select_from(RegisteredModelTag)
                    .where(
                        RegisteredModelTag.registered_model_id == ModelVersion.registered_model_id,
                        RegisteredModelTag.key == PROMPT_TAG,
                        RegisteredModelTag.value == "true",
                    )
                )
            )
        )
    return and_(*clauses)


@cache
def readable_versions(dialect: str, levels: tuple[str, ...]) -> ColumnElement[bool]:
    """Versions of models the caller may read (versions inherit their model's permissions); the search
    statement joins the model, so this is the models' condition."""
    return readable_models(dialect, levels)


def model_versions_order_by(order_by: list[str]) -> list[Any]:
    """Default last_updated_timestamp DESC; tie-breakers name ASC, version_number DESC."""
    columns = {
        "name": RegisteredModel.name,
        "version_number": ModelVersion.version,
        "creation_timestamp": ModelVersion.creation_time,
        "last_updated_timestamp": ModelVersion.last_updated_time,
    }
    out, seen = order_columns(order_by or ["last_updated_timestamp DESC"], columns)
    if RegisteredModel.name.key not in seen:
        out.append(RegisteredModel.name.asc())
    if ModelVersion.version.key not in seen:
        out.append(ModelVersion.version.desc())
    return out
