"""Request messages and response shapes of the SCIM API (/api/2.0/preview/scim/v2): users, groups and service
principals, as the databricks-sdk reads them (iam.User, Group, ServicePrincipal).

SCIM bodies are camelCase; the fields keep Python names with the wire names as aliases. Attributes regista
does not model (entitlements, roles, emails, name) are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from regista.schemas.base import Message
from regista.schemas.numbers import Int32
from regista.server.db.models.identity import GROUP, SERVICE_PRINCIPAL, USER


class ComplexValue(Message):
    """A reference to another identity, e.g. a group member `{"value": "<id>"}`."""

    value: str | None = None
    display: str | None = None
    ref: str | None = Field(None, alias="$ref")
    type: str | None = None


class UserBody(Message):
    user_name: str | None = Field(None, alias="userName")
    display_name: str | None = Field(None, alias="displayName")
    active: bool | None = None
    external_id: str | None = Field(None, alias="externalId")
    groups: list[ComplexValue] | None = None


class ServicePrincipalBody(Message):
    application_id: str | None = Field(None, alias="applicationId")
    display_name: str | None = Field(None, alias="displayName")
    active: bool | None = None
    external_id: str | None = Field(None, alias="externalId")
    groups: list[ComplexValue] | None = None


class GroupBody(Message):
    display_name: str | None = Field(None, alias="displayName")
    external_id: str | None = Field(None, alias="externalId")
    members: list[ComplexValue] | None = None
    # The groups this group is a member of.
    groups: list[ComplexValue] | None = None


class PatchOperation(Message):
    op: str
    path: str | None = None
    value: Any = None


class PatchBody(Message):
    operations: list[PatchOperation] = Field(default_factory=list, alias="Operations")


class ListQuery(Message):
    filter: str | None = None
    start_index: Int32 | None = Field(None, alias="startIndex")
    count: Int32 | None = None
    sort_by: str | None = Field(None, alias="sortBy")
    sort_order: str | None = Field(None, alias="sortOrder")
    # Accepted for compatibility; every attribute is always returned.
    attributes: str | None = None
    excluded_attributes: str | None = Field(None, alias="excludedAttributes")


# Response shapes.
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SERVICE_PRINCIPAL_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_RESOURCE = {USER: "Users", SERVICE_PRINCIPAL: "ServicePrincipals", GROUP: "Groups"}


def _display(row: Any) -> str:
    # A group's name is its displayName; users and service principals fall back to their name.
    if row.kind == GROUP:
        return str(row.name)
    return str(row.display_name or row.name)


def _reference(row: Any, **extra: Any) -> dict[str, Any]:
    return {"value": str(row.id), "display": _display(row), "$ref": f"{_RESOURCE[row.kind]}/{row.id}", **extra}


def _group_refs(parents: Sequence[Any]) -> list[dict[str, Any]]:
    # Only direct memberships are listed, as Databricks marks them ("type": "direct").
    return [{"value": str(g.id), "display": g.name, "$ref": f"Groups/{g.id}", "type": "direct"} for g in parents]


def identity_view(row: Any, parents: Sequence[Any], members: Sequence[Any]) -> dict[str, Any]:
    """The SCIM resource for one identity row, its direct groups and (for a group) its direct members."""
    view: dict[str, Any] = {"id": str(row.id)}
    if row.kind == USER:
        view["userName"] = row.name
        if row.display_name is not None:
            view["displayName"] = row.display_name
        view["active"] = bool(row.active)
        # User names are e-mail addresses in Databricks; the SDK's users carry them as their work e-mail.
        view["emails"] = [{"value": row.name, "type": "work", "primary": True}]
        view["schemas"] = [USER_SCHEMA]
    elif row.kind == SERVICE_PRINCIPAL:
        view["applicationId"] = row.name
        if row.display_name is not None:
            view["displayName"] = row.display_name
        view["active"] = bool(row.active)
        view["schemas"] = [SERVICE_PRINCIPAL_SCHEMA]
    else:
        view["displayName"] = row.name
        view["members"] = [_reference(m) for m in members]
        view["meta"] = {"resourceType": "WorkspaceGroup"}
        view["schemas"] = [GROUP_SCHEMA]
    if row.external_id is not None:
        view["externalId"] = row.external_id
    view["groups"] = _group_refs(parents)
    return view


def me_view(row: Any, view: dict[str, Any]) -> dict[str, Any]:
    """GET /Me answers with a User even for a service principal: its userName is its applicationId."""
    if row.kind == SERVICE_PRINCIPAL:
        return {**view, "userName": row.name, "schemas": [USER_SCHEMA]}
    return view
