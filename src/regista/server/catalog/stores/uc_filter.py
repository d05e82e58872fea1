"""The filter and order_by translation of Unity Catalog model and version searches (MLflow's registry
filter grammar, search/filter_parser, over the catalog tables)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from regista.errors import InvalidParameter
from regista.server.db.models import UcCatalog, UcModel, UcModelTag, UcModelVersion, UcSchema
from regista.server.search.filter_parser import And, Comparison, Node, Or
from regista.server.search.like import CaseSensitiveLike


def _full_name() -> Any:
    return UcCatalog.name + literal(".") + UcSchema.name + literal(".") + UcModel.name


def _string_op(column: Any, c: Comparison) -> ColumnElement[bool]:
    value = c.value
    if not isinstance(value, str):
        raise InvalidParameter(f"Expected a quoted string value for '{c.ident.key}', got {value!r}.")
    if c.op == "=":
        return column == value  # type: ignore[no-any-return]  # a column comparison
    if c.op == "!=":
        return column != value  # type: ignore[no-any-return]  # a column comparison
    if c.op == "LIKE":
        return CaseSensitiveLike(column, value)
    if c.op == "ILIKE":
        return column.ilike(value)  # type: ignore[no-any-return]  # a column comparison
    raise InvalidParameter(f"Invalid comparator '{c.op}' for '{c.ident.key}': use =, !=, LIKE or ILIKE.")


def _comparison(c: Comparison, versions: bool) -> ColumnElement[bool]:
    kind, key = c.ident.kind, c.ident.key
    if kind == "tag" and not versions:
        tag = exists().where(UcModelTag.model_id == UcModel.id, UcModelTag.key == key,
                             _string_op(UcModelTag.value, c))
        return tag
    if kind != "attribute":
        raise InvalidParameter(f"Invalid filter key '{key}': filter on name, tags.<key> or run_id.")
    columns: dict[str, Any] = {"name": _full_name, "catalog_name": lambda: UcCatalog.name,
                               "schema_name": lambda: UcSchema.name}
    if versions:
        columns.update({"run_id": lambda: UcModelVersion.run_id, "source": lambda: UcModelVersion.source})
        if key == "version_number":
            return UcModelVersion.version == int(str(c.value))
    if key not in columns:
        raise InvalidParameter(f"Invalid filter key '{key}'; valid keys: {', '.join(columns)}.")
    named = _named(c)
    if named is not None:
        # The same rows as comparing the joined name (no part holds a '.'), but each part on its own column,
        # so the lookup uses the names' indexes instead of joining every model's name.
        catalog, schema, model = named
        return and_(UcCatalog.name == catalog, UcSchema.name == schema, UcModel.name == model)
    return _string_op(columns[key](), c)


def _named(c: Comparison) -> tuple[str, str, str] | None:
    if c.ident.kind == "attribute" and c.ident.key == "name" and c.op == "=" and isinstance(c.value, str):
        parts = c.value.split(".")
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
    return None


def named_model(node: Node | None) -> tuple[str, str, str] | None:
    """(catalog, schema, model) when the whole filter is `name = 'c.s.m'` (how the mlflow client lists a
    model's versions), else None."""
    return _named(node) if isinstance(node, Comparison) else None


def conditions(node: Node | None, versions: bool) -> list[ColumnElement[bool]]:
    if node is None:
        return []

    def build(n: Node) -> ColumnElement[bool]:
        if isinstance(n, Comparison):
            return _comparison(n, versions)
        parts = [build(i) for i in n.items]
        if isinstance(n, Or):
            return or_(*parts)
        assert isinstance(n, And)
        return and_(*parts)

    return [build(node)]


def _order_column(key: str) -> Any:
    if key == "name":
        return _full_name()
    return UcModel.created_at if key == "creation_timestamp" else UcModel.updated_at


_ORDER = ("name", "timestamp", "last_updated_timestamp", "creation_timestamp")


def order_by(clauses: list[str] | None) -> list[Any]:
    out: list[Any] = []
    for clause in clauses or []:
        parts = clause.strip().split()
        key = parts[0] if parts else ""
        direction = parts[1].upper() if len(parts) > 1 else "ASC"
        if key not in _ORDER or direction not in ("ASC", "DESC") or len(parts) > 2:
            raise InvalidParameter(f"Invalid order_by clause '{clause}': order by name, creation_timestamp or "
                                   "last_updated_timestamp, ASC or DESC.")
        column = _order_column(key)
        out.append(column.desc() if direction == "DESC" else column.asc())
    return out + [UcCatalog.name, UcSchema.name, UcModel.name]


def in_schema(catalog: str, schema: str) -> list[ColumnElement[bool]]:
    return [UcCatalog.name == catalog, UcSchema.name == schema]


def of_model(model_id: int) -> list[ColumnElement[bool]]:
    return [UcModelVersion.model_id == model_id]
