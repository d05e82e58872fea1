"""Translate registry search filters and order_by into SQL for registered models.

Grammar: MLflow's (`name` with = != LIKE ILIKE IN NOT IN; `tags.<k>`/`tag.<k>` with = != LIKE ILIKE,
IS NULL, IS NOT NULL) plus OR and parentheses. A tag clause is an EXISTS / NOT EXISTS on the tag table:
``tags.k != 'v'`` means "no tag k with value v", so models without the tag match. This is what makes the
clause the mlflow client appends to every search, ``tag.`mlflow.prompt.is_prompt` != 'true'``, exclude
prompts instead of dropping every model without that tag. Without any clause on that tag, prompts are
excluded anyway (as on the official server).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.sql.elements import SQLCoreOperations

from regista.errors import InvalidParameter
from regista.server.db import visibility
from regista.server.db.models import RegisteredModel, RegisteredModelTag
from regista.server.search.filter_parser import And, Comparison, Node, comparisons, parse_filter
from regista.server.search.like import case_sensitive_like

PROMPT_TAG = "mlflow.prompt.is_prompt"
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
TAG_OPS = ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL")
_ORDER_RE = re.compile(r"^\s*(?:(?:attributes?|attr)\.)?[`\"]?([\w.]+)[`\"]?(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)


def string_clause(column: SQLCoreOperations[Any], c: Comparison, dialect: str) -> ColumnElement[bool]:
    """`column <op> value` for a string attribute; LIKE is case-sensitive on both databases."""
    if c.op not in STRING_OPS:
        raise InvalidParameter(f"Invalid comparator '{c.op}' for attribute '{c.ident.key}'.")
    if c.op in ("IN", "NOT IN"):
        values = list(c.value) if isinstance(c.value, tuple) else [str(c.value)]
        return column.in_(values) if c.op == "IN" else column.not_in(values)
    if isinstance(c.value, tuple) or c.value is None:
        raise InvalidParameter(f"Invalid value for '{c.ident.key}' in filter.")
    value = str(c.value)
    if c.op == "=":
        return column == value
    if c.op == "!=":
        return column != value
    if c.op == "LIKE":
        return case_sensitive_like(column, value)
    return column.ilike(value)


def tag_clause(
    tag_exists: Callable[[str, ColumnElement[bool] | None], ColumnElement[bool]],
    value_column: Any,
    c: Comparison,
    dialect: str,
) -> ColumnElement[bool]:
    """EXISTS / NOT EXISTS over the tag table; `tag_exists(key, value_condition)` builds the subquery."""
    key = c.ident.key
    if c.op not in TAG_OPS:
        raise InvalidParameter(f"Invalid comparator '{c.op}' for tag '{key}'.")
    if c.op == "IS NULL":
        return not_(tag_exists(key, None))
    if c.op == "IS NOT NULL":
        return tag_exists(key, None)
    if isinstance(c.value, tuple) or c.value is None:
        raise InvalidParameter(f"Invalid value for tag '{key}' in filter.")
    value = str(c.value)
    if c.op == "!=":
        return not_(tag_exists(key, value_column == value))
    if c.op == "=":
        return tag_exists(key, value_column == value)
    if c.op == "LIKE":
        return tag_exists(key, case_sensitive_like(value_column, value))
    return tag_exists(key, value_column.ilike(value))


def translate(node: Node, leaf: Callable[[Comparison], ColumnElement[bool]]) -> ColumnElement[bool]:
    if isinstance(node, Comparison):
        return leaf(node)
    parts = [translate(item, leaf) for item in node.items]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


def mentions_prompt_tag(node: Node | None) -> bool:
    return any(c.ident.kind == "tag" and c.ident.key == PROMPT_TAG for c in comparisons(node))


def _rm_tag_exists(key: str, cond: ColumnElement[bool] | None) -> ColumnElement[bool]:
    conds = [RegisteredModelTag.registered_model_id == RegisteredModel.id, RegisteredModelTag.key == key]
    if cond is not None:
        conds.append(cond)
    return exists(select(1).select_from(RegisteredModelTag).where(*conds))


def registered_models_where(text: str | None, dialect: str) -> ColumnElement[bool]:
    node = parse_filter(text, allow_or=True)

    def leaf(c: Comparison) -> ColumnElement[bool]:
        if c.ident.kind == "tag":
            return tag_clause(_rm_tag_exists, RegisteredModelTag.value, c, dialect)
        if c.ident.kind == "attribute" and c.ident.key == "name":
            return string_clause(RegisteredModel.name, c, dialect)
        raise InvalidParameter(
            f"Invalid filter '{text}': registered models can be searched by 'name' and 'tags.<key>', "
            f"not '{c.ident.kind}.{c.ident.key}'."
        )

    clauses = [] if node is None else [translate(node, leaf)]
    if not mentions_prompt_tag(node):
        clauses.append(not_(_rm_tag_exists(PROMPT_TAG, RegisteredModelTag.value == "true")))
    return and_(*clauses)


@cache
def readable_models(dialect: str, levels: tuple[str, ...]) -> ColumnElement[bool]:
    """"The caller may read this model" (a direct, group or root grant of one of `levels`), built once per
    dialect: search adds it when authz.visibility_filter asks for it and binds `grantees`."""
    return visibility.readable_condition(dialect, visibility.REGISTERED_MODELS, RegisteredModel.id, levels)


def parse_order_clause(clause: str) -> tuple[str, bool]:
    m = _ORDER_RE.match(clause or "")
    if not m:
        raise InvalidParameter(f"Invalid order_by clause '{clause}'.")
    return m.group(1), (m.group(2) or "ASC").upper() == "ASC"


def order_columns(order_by: list[str], columns: dict[str, Any]) -> tuple[list[Any], set[str]]:
    """ORDER BY terms for `order_by` clauses over the allowed `columns` (wire key -> column), and the column
    keys used; an unknown key or the same column twice is a 400."""
    out: list[Any] = []
    seen: set[str] = set()
    for clause in order_by:
        key, asc = parse_order_clause(clause)
        column = columns.get(key)
        if column is None:
            valid = ", ".join(f"'{k}'" for k in columns)
            raise InvalidParameter(f"Invalid order by key '{key}' specified. Valid keys are {valid}.")
        if column.key in seen:
            raise InvalidParameter(f"`order_by` contains duplicate fields: {order_by}")
        seen.add(column.key)
        out.append(column.asc() if asc else column.desc())
    return out, seen


def registered_models_order_by(order_by: list[str]) -> list[Any]:
    """name, timestamp / last_updated_timestamp (both last_updated_time), creation_timestamp; name ASC last."""
    columns = {
        "name": RegisteredModel.name,
        "timestamp": RegisteredModel.last_updated_time,
        "last_updated_timestamp": RegisteredModel.last_updated_time,
        "creation_timestamp": RegisteredModel.creation_time,
    }
    out, seen = order_columns(order_by, columns)
    if "name" not in seen:
        out.append(RegisteredModel.name.asc())
    return out
