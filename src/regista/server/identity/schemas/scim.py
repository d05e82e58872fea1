"""Request messages of the SCIM API (/api/2.0/preview/scim/v2): users, groups, service principals.

SCIM bodies are camelCase; the fields keep Python names with the wire names as aliases. Attributes regista
does not model (entitlements, roles, emails, name) are accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from regista.schemas.base import Message
from regista.schemas.numbers import Int32


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
