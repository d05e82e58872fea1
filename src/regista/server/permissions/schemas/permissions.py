"""Request bodies of the Databricks permissions API (/api/2.0/permissions/{registered-models,experiments}/...)
as the databricks-sdk sends them (ml.RegisteredModelAccessControlRequest, iam.AccessControlRequest)."""

from __future__ import annotations

from regista.schemas.base import Message


class AccessControlRequest(Message):
    """One grantee (exactly one of the three names) and the level to give it."""

    user_name: str | None = None
    group_name: str | None = None
    service_principal_name: str | None = None
    permission_level: str | None = None


class SetPermissions(Message):
    """PUT (replace every direct grant) and PATCH (replace the named grantees' grants) bodies."""

    access_control_list: list[AccessControlRequest] = []
