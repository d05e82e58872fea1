"""Users, service principals and groups as the SCIM API shows them: create, read, list, replace, patch, delete.

Rules: any authenticated caller may read; only admins (members of `admins`, directly or through nested
groups) change identities. The built-in user `admin` and the groups `admins` and `users` cannot be deleted
or renamed, and `admin` stays an active member of `admins`, so the server can never lose its last way in.
Every change clears the authenticator's cache (ctx.identities_changed), so a removed membership, a
deactivated or deleted identity takes effect on the next request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from regista.errors import AlreadyExists, InvalidParameter, NotFound
from regista.schemas.numbers import int_or_none
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.identity.schemas.scim import (
    LIST_SCHEMA,
    ComplexValue,
    GroupBody,
    ListQuery,
    PatchOperation,
    ServicePrincipalBody,
    UserBody,
    identity_view,
    me_view,
)
from regista.server.identity.services.authentication import ADMIN_USER, ADMINS_GROUP, USERS_GROUP
from regista.server.identity.stores import identities as store
from regista.server.identity.stores.identities import GROUP as GROUP  # re-exported for handlers
from regista.server.identity.stores.identities import SERVICE_PRINCIPAL as SERVICE_PRINCIPAL
from regista.server.identity.stores.identities import USER as USER
from regista.server.identity.stores.identities_filter import filter_condition, sort_columns
from regista.server.permissions.services import authz

# The SDK asks for 10000 per page; more than that in one response is never needed.
MAX_PAGE = 10000
_BUILTIN = {(USER, ADMIN_USER), (GROUP, ADMINS_GROUP), (GROUP, USERS_GROUP)}
_NOUNS = {USER: "User", SERVICE_PRINCIPAL: "Service principal", GROUP: "Group"}
# Attributes regista does not model; PATCH operations on them are accepted and ignored.
_IGNORED = {"entitlements", "roles", "emails", "name", "name.givenname", "name.familyname", "schemas", "photos"}
_VALUE_FILTER = re.compile(r'^(\w+)\[\s*value\s+eq\s+"?([^"\]]*)"?\s*\]$', re.IGNORECASE)


def find_identity(ctx: Context, kind: str, name: str) -> Any | None:
    """The identity of `kind` (USER, GROUP, SERVICE_PRINCIPAL) called `name`, or None: for other domains
    (permission grants) that name grantees."""
    return store.find_by_name(ctx.conn, kind, name)


def find_principal_named(ctx: Context, name: str) -> Any | None:
    """The user, service principal or group called `name` (Unity Catalog names principals without a
    kind), or None: for grants and ownership in the catalog domain."""
    for kind in (USER, SERVICE_PRINCIPAL, GROUP):
        row = store.find_by_name(ctx.conn, kind, name)
        if row is not None:
            return row
    return None


def names_of(ctx: Context, identity_ids: Sequence[int]) -> dict[int, str]:
    """The names of the identities among `identity_ids` that exist, in one query."""
    return {row.id: row.name for row in store.get_identities(ctx.conn, sorted(set(identity_ids)))}


def require_admin(ctx: Context) -> None:
    authz.require_admin(ctx, "manage identities")


# ---- reads -----------------------------------------------------------------------------------------------


def _not_found(kind: str | None, identity_id: object) -> NotFound:
    return NotFound(f"{_NOUNS.get(kind or '', 'Identity')} {identity_id} does not exist.")


def _row(ctx: Context, kind: str, identity_id: str) -> Any:
    number = int_or_none(identity_id, 0)
    row = store.get_identity(ctx.conn, number) if number is not None else None
    if row is None or row.kind != kind:
        raise _not_found(kind, identity_id)
    return row


def _views(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """SCIM views of `rows` with their groups (and members, for groups) in two queries in all."""
    ids = [r.id for r in rows]
    parents: dict[int, list[Any]] = {}
    for m in store.groups_of(ctx.conn, ids):
        parents.setdefault(m.member_id, []).append(m)
    members: dict[int, list[Any]] = {}
    group_ids = [r.id for r in rows if r.kind == GROUP]
    for m in store.members_of(ctx.conn, group_ids):
        members.setdefault(m.group_id, []).append(m)
    return [identity_view(r, parents.get(r.id, []), members.get(r.id, [])) for r in rows]


def get_identity(ctx: Context, kind: str, identity_id: str) -> dict[str, Any]:
    return _views(ctx, [_row(ctx, kind, identity_id)])[0]


def list_identities(ctx: Context, kind: str, query: ListQuery) -> dict[str, Any]:
    """One SCIM ListResponse page: filter, sort and 1-based startIndex/count applied in the query."""
    condition = filter_condition(kind, query.filter)
    descending = (query.sort_order or "ascending").lower() == "descending"
    order = sort_columns(kind, query.sort_by, descending)
    start = max(query.start_index or 1, 1)
    count = MAX_PAGE if query.count is None else min(max(query.count, 0), MAX_PAGE)
    total, rows = store.list_identities(ctx.conn, kind, condition, order, start - 1, count)
    resources = _views(ctx, rows)
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def user_summaries(ctx: Context) -> list[dict[str, Any]]:
    """Every user by name: active, admin (a member of `admins` directly or through nested groups) and the
    names of its direct groups (`regista users list`)."""
    _, rows = store.list_identities(ctx.conn, USER, None, sort_columns(USER, "userName", False), 0, 2**31 - 1)
    groups: dict[int, list[str]] = {}
    for m in store.groups_of(ctx.conn, [r.id for r in rows]):
        groups.setdefault(m.member_id, []).append(m.name)
    admin_ids = _admin_ids(ctx)
    return [{"name": r.name, "active": bool(r.active), "admin": r.id in admin_ids,
             "groups": sorted(groups.get(r.id, []))} for r in rows]


def admins_group_id(ctx: Context) -> str:
    """The id of the built-in `admins` group (it always exists once the server has started once)."""
    row = store.find_by_name(ctx.conn, GROUP, ADMINS_GROUP)
    if row is None:
        raise NotFound(f"Group {ADMINS_GROUP!r} does not exist.")
    return str(row.id)


def _admin_ids(ctx: Context) -> set[int]:
    # Walk down from `admins` through nested groups: one query per nesting level.
    admins = store.find_by_name(ctx.conn, GROUP, ADMINS_GROUP)
    found: set[int] = set()
    frontier = [] if admins is None else [admins.id]
    while frontier:
        members = [m for m in store.members_of(ctx.conn, frontier) if m.id not in found]
        found.update(m.id for m in members)
        frontier = [m.id for m in members if m.kind == GROUP]
    return found


def me(ctx: Context) -> dict[str, Any]:
    """The caller as a SCIM User (a service principal's userName is its applicationId)."""
    principal = ctx.principal
    row = None
    if principal.identity_id is not None:
        row = store.get_identity(ctx.conn, principal.identity_id)
    if row is None:
        found = store.find_by_name(ctx.conn, principal.kind, principal.name)
        row = None if found is None else store.get_identity(ctx.conn, found.id)
    if row is None:
        raise NotFound(f"The caller {principal.name} has no identity.")
    view = _views(ctx, [row])[0]
    return me_view(row, view)


# ---- changes ---------------------------------------------------------------------------------------------


def _check_name_free(ctx: Context, kind: str, name: str, except_id: int | None = None) -> None:
    row = store.find_by_name(ctx.conn, kind, name)
    if row is not None and row.id != except_id:
        what = {USER: "userName", SERVICE_PRINCIPAL: "applicationId", GROUP: "displayName"}[kind]
        raise AlreadyExists(f"{_NOUNS[kind]} with {what} {name!r} already exists.", error_code="ALREADY_EXISTS")


def _referenced(ctx: Context, values: Iterable[ComplexValue | dict[str, Any]], kind: str | None) -> list[Any]:
    """Rows of the identities referenced by `{"value": "<id>"}` entries (all of `kind` when given)."""
    raw_ids = []
    for v in values:
        value = v.value if isinstance(v, ComplexValue) else (v or {}).get("value") if isinstance(v, dict) else None
        number = int_or_none(value, 0)
        if number is None:
            raise InvalidParameter(f"Invalid member reference {value!r}: expected an identity id.")
        raw_ids.append(number)
    ids = list(dict.fromkeys(raw_ids))
    rows = {r.id: r for r in store.get_identities(ctx.conn, ids)}
    for i in ids:
        row = rows.get(i)
        if row is None or (kind is not None and row.kind != kind):
            raise _not_found(kind, i)
    return [rows[i] for i in ids]


def _add_members(ctx: Context, group: Any, members: Sequence[Any]) -> None:
    for m in members:
        # A group inside itself, directly or through its own members, would make membership circular.
        if m.kind == GROUP and (m.id == group.id or m.id in _ancestors(ctx, group.id)):
            raise InvalidParameter(f"Group {m.name!r} cannot be a member of {group.name!r}: that makes a cycle.")
    store.add_members(ctx.conn, [(group.id, m.id) for m in members])


def _ancestors(ctx: Context, group_id: int) -> set[int]:
    # Groups that `group_id` is (transitively) inside: adding one of them as its member closes a cycle.
    return set(store.group_closure(ctx.conn, group_id))


def _remove_members(ctx: Context, group: Any, member_ids: Sequence[int]) -> None:
    if group.name == ADMINS_GROUP:
        admin = store.find_by_name(ctx.conn, USER, ADMIN_USER)
        if admin is not None and admin.id in member_ids:
            raise InvalidParameter(f"The built-in user {ADMIN_USER!r} cannot leave {ADMINS_GROUP!r}.")
    store.remove_members(ctx.conn, group.id, member_ids)


def _join_groups(ctx: Context, row: Any, values: Iterable[Any]) -> None:
    for group in _referenced(ctx, values, GROUP):
        _add_members(ctx, group, [row])


def _leave_groups(ctx: Context, row: Any, group_ids: Sequence[int] | None) -> None:
    groups = store.groups_of(ctx.conn, [row.id])
    leaving = [g for g in groups if group_ids is None or g.id in group_ids]
    for g in leaving:
        _remove_members(ctx, store.get_identity(ctx.conn, g.id), [row.id])


def _create(ctx: Context, kind: str, name: str, display_name: str | None, active: bool | None,
            external_id: str | None) -> Any:
    require_admin(ctx)
    if not name or not name.strip():
        raise InvalidParameter(f"{_NOUNS[kind]} needs a non-empty name.")
    _check_name_free(ctx, kind, name)
    new_id = store.insert_identity(
        ctx.conn, kind, name, display_name=display_name, creation_time=now_ms(),
        active=True if active is None else active, external_id=external_id,
    )
    ctx.record("identity.created", {"kind": kind, "id": new_id, "name": name})
    return store.get_identity(ctx.conn, new_id)


def create_user(ctx: Context, body: UserBody) -> dict[str, Any]:
    row = _create(ctx, USER, body.user_name or "", body.display_name, body.active, body.external_id)
    if body.groups:
        _join_groups(ctx, row, body.groups)
        ctx.identities_changed()
    return _views(ctx, [row])[0]


def create_service_principal(ctx: Context, body: ServicePrincipalBody) -> dict[str, Any]:
    # The application id is the service principal's name in grants; Databricks generates one when absent.
    application_id = body.application_id or str(uuid.uuid4())
    row = _create(ctx, SERVICE_PRINCIPAL, application_id, body.display_name, body.active, body.external_id)
    if body.groups:
        _join_groups(ctx, row, body.groups)
        ctx.identities_changed()
    return _views(ctx, [row])[0]


def create_group(ctx: Context, body: GroupBody) -> dict[str, Any]:
    row = _create(ctx, GROUP, body.display_name or "", None, None, body.external_id)
    if body.members:
        _add_members(ctx, row, _referenced(ctx, body.members, None))
    if body.groups:
        _join_groups(ctx, row, body.groups)
    if body.members or body.groups:
        ctx.identities_changed()
    return _views(ctx, [row])[0]


def _guard_builtin(row: Any, values: dict[str, Any]) -> None:
    if (row.kind, row.name) not in _BUILTIN:
        return
    if "name" in values and values["name"] != row.name:
        raise InvalidParameter(f"The built-in {_NOUNS[row.kind].lower()} {row.name!r} cannot be renamed.")
    if values.get("active") is False:
        raise InvalidParameter(f"The built-in user {row.name!r} cannot be deactivated.")


def _update_columns(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    _guard_builtin(row, values)
    if "name" in values:
        if not values["name"] or not str(values["name"]).strip():
            raise InvalidParameter(f"{_NOUNS[row.kind]} needs a non-empty name.")
        _check_name_free(ctx, row.kind, values["name"], except_id=row.id)
    store.update_identity(ctx.conn, row.id, values)


def _finish_change(ctx: Context, row: Any) -> dict[str, Any]:
    ctx.record("identity.updated", {"kind": row.kind, "id": row.id})
    ctx.identities_changed()
    return _views(ctx, [store.get_identity(ctx.conn, row.id)])[0]


def _replace_member_identity(ctx: Context, kind: str, identity_id: str, body: Any, name: str | None) -> dict[str, Any]:
    """PUT on a user or service principal: the sent attributes replace the stored ones; `groups`, when
    sent, replaces direct memberships. `name` is the new userName / applicationId, if sent."""
    require_admin(ctx)
    row = _row(ctx, kind, identity_id)
    values: dict[str, Any] = {"display_name": body.display_name, "external_id": body.external_id,
                              "active": True if body.active is None else body.active}
    if name:
        values["name"] = name
    _update_columns(ctx, row, values)
    if body.groups is not None:
        _replace_groups(ctx, row, body.groups)
    return _finish_change(ctx, row)


def replace_user(ctx: Context, identity_id: str, body: UserBody) -> dict[str, Any]:
    return _replace_member_identity(ctx, USER, identity_id, body, body.user_name)


def replace_service_principal(ctx: Context, identity_id: str, body: ServicePrincipalBody) -> dict[str, Any]:
    return _replace_member_identity(ctx, SERVICE_PRINCIPAL, identity_id, body, body.application_id)


def replace_group(ctx: Context, identity_id: str, body: GroupBody) -> dict[str, Any]:
    """PUT: a group is replaced whole, so members not sent are removed."""
    require_admin(ctx)
    row = _row(ctx, GROUP, identity_id)
    values: dict[str, Any] = {"external_id": body.external_id}
    if body.display_name:
        values["name"] = body.display_name
    _update_columns(ctx, row, values)
    _replace_members(ctx, row, body.members or [])
    if body.groups is not None:
        _replace_groups(ctx, row, body.groups)
    return _finish_change(ctx, row)


def _replace_members(ctx: Context, group: Any, values: Iterable[Any]) -> None:
    wanted = _referenced(ctx, values, None)
    wanted_ids = {m.id for m in wanted}
    current = [m.id for m in store.members_of(ctx.conn, [group.id])]
    _remove_members(ctx, group, [i for i in current if i not in wanted_ids])
    _add_members(ctx, group, [m for m in wanted if m.id not in set(current)])


def _replace_groups(ctx: Context, row: Any, values: Iterable[Any]) -> None:
    wanted = _referenced(ctx, values, GROUP)
    wanted_ids = {g.id for g in wanted}
    current = {g.id for g in store.groups_of(ctx.conn, [row.id])}
    _leave_groups(ctx, row, [i for i in current if i not in wanted_ids])
    for group in wanted:
        if group.id not in current:
            _add_members(ctx, group, [row])


def patch_identity(ctx: Context, kind: str, identity_id: str, operations: Sequence[PatchOperation]) -> dict[str, Any]:
    """SCIM PatchOp: add / remove / replace on members, groups, active, displayName, userName, externalId."""
    require_admin(ctx)
    row = _row(ctx, kind, identity_id)
    if not operations:
        raise InvalidParameter("A PATCH needs at least one operation in 'Operations'.")
    for operation in operations:
        op = operation.op.lower()
        if op not in ("add", "remove", "replace"):
            raise InvalidParameter(f"Unsupported PATCH op {operation.op!r}: use add, remove or replace.")
        if operation.path:
            _apply(ctx, row, op, operation.path, operation.value)
        elif isinstance(operation.value, dict):
            for path, value in operation.value.items():
                _apply(ctx, row, op, path, value)
        else:
            raise InvalidParameter("A PATCH operation without a path needs an object value.")
        row = store.get_identity(ctx.conn, row.id)
    return _finish_change(ctx, row)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _apply(ctx: Context, row: Any, op: str, path: str, value: Any) -> None:
    path = path.strip()
    selected: int | None = None
    match = _VALUE_FILTER.match(path)
    if match:
        path, raw = match.group(1), match.group(2)
        selected = int_or_none(raw, 0)
        if selected is None:
            raise InvalidParameter(f"Invalid PATCH path {path!r}: the value filter needs an identity id.")
    attribute = path.lower()
    if attribute in _IGNORED:
        return
    if attribute == "members" and row.kind == GROUP:
        if op == "remove":
            ids = [selected] if selected is not None else [m.id for m in _referenced(ctx, _as_list(value), None)]
            if selected is None and value is None:
                ids = [m.id for m in store.members_of(ctx.conn, [row.id])]
            _remove_members(ctx, row, ids)
        elif op == "add":
            _add_members(ctx, row, _referenced(ctx, _as_list(value), None))
        else:
            _replace_members(ctx, row, _as_list(value))
        return
    if attribute == "groups":
        if op == "remove":
            ids = [selected] if selected is not None else [g.id for g in _referenced(ctx, _as_list(value), GROUP)]
            _leave_groups(ctx, row, None if (selected is None and value is None) else ids)
        elif op == "add":
            _join_groups(ctx, row, _as_list(value))
        else:
            _replace_groups(ctx, row, _as_list(value))
        return
    column = _patchable_column(row.kind, attribute)
    if column is None:
        raise InvalidParameter(f"Unsupported PATCH path {path!r} for a {_NOUNS[row.kind].lower()}.")
    if op == "remove":
        if column in ("name", "active"):
            raise InvalidParameter(f"{path!r} cannot be removed.")
        _update_columns(ctx, row, {column: None})
        return
    if column == "active":
        value = _as_bool(value)
    elif value is not None and not isinstance(value, str):
        raise InvalidParameter(f"Invalid value for {path!r}: expected a string.")
    _update_columns(ctx, row, {column: value})


def _patchable_column(kind: str, attribute: str) -> str | None:
    columns = {
        USER: {"username": "name", "displayname": "display_name", "externalid": "external_id", "active": "active"},
        SERVICE_PRINCIPAL: {"displayname": "display_name", "externalid": "external_id", "active": "active"},
        GROUP: {"displayname": "name", "externalid": "external_id"},
    }
    return columns[kind].get(attribute)


def _as_bool(value: Any) -> bool:
    # Databricks' documented form is [{"value": "false"}]; the SDK drops a literal False (falsy), so
    # clients send the string "false". All three are accepted.
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        value = value[0].get("value")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidParameter(f"Invalid value {value!r} for 'active': expected true or false.")


def delete_identity(ctx: Context, kind: str, identity_id: str) -> None:
    """Delete an identity with its memberships, tokens and grants."""
    require_admin(ctx)
    row = _row(ctx, kind, identity_id)
    if (row.kind, row.name) in _BUILTIN:
        raise InvalidParameter(f"The built-in {_NOUNS[kind].lower()} {row.name!r} cannot be deleted.")
    store.delete_identity(ctx.conn, row.id)
    ctx.record("identity.deleted", {"kind": kind, "id": row.id, "name": row.name})
    ctx.identities_changed()
