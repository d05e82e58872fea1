"""Request messages of the catalog domain: the mlflow databricks-uc RPCs (databricks_uc_registry_messages.proto,
3-level `name`, string `version`) and the /api/2.1/unity-catalog bodies of the databricks-sdk."""

from __future__ import annotations

from regista.schemas.base import KeyValue, Message
from regista.schemas.numbers import Int32

# -- mlflow databricks-uc ---------------------------------------------------------------------------------


class ModelName(Message):
    name: str = ""


class CreateRegisteredModel(Message):
    name: str = ""
    description: str | None = None
    tags: list[KeyValue] = []


class UpdateRegisteredModel(Message):
    name: str = ""
    new_name: str | None = None
    description: str | None = None


class SearchRegisteredModels(Message):
    max_results: Int32 | None = None
    page_token: str | None = None
    # Not sent by the mlflow client (it refuses them for UC), served for other callers.
    filter: str | None = None
    order_by: list[str] = []


class CreateModelVersion(Message):
    name: str = ""
    source: str = ""
    run_id: str | None = None
    description: str | None = None
    tags: list[KeyValue] = []
    model_id: str | None = None


class VersionRef(Message):
    name: str = ""
    version: str | None = None


class UpdateModelVersion(Message):
    name: str = ""
    version: str | None = None
    description: str | None = None


class SearchModelVersions(Message):
    filter: str | None = None
    max_results: Int32 | None = None
    page_token: str | None = None


class TemporaryCredentials(Message):
    name: str = ""
    version: str | None = None
    operation: str | None = None


class AliasRef(Message):
    name: str = ""
    alias: str = ""


class SetAlias(Message):
    name: str = ""
    alias: str = ""
    version: str | None = None


class SetTag(Message):
    name: str = ""
    key: str = ""
    value: str | None = None


class DeleteTag(Message):
    name: str = ""
    key: str = ""


class SetVersionTag(Message):
    name: str = ""
    version: str | None = None
    key: str = ""
    value: str | None = None


class DeleteVersionTag(Message):
    name: str = ""
    version: str | None = None
    key: str = ""


class TransitionStage(Message):
    name: str = ""
    version: str | None = None
    stage: str | None = None


# -- /api/2.1/unity-catalog -----------------------------------------------------------------------------


class CreateCatalog(Message):
    name: str = ""
    comment: str | None = None


class UpdateSecurable(Message):
    new_name: str | None = None
    comment: str | None = None
    owner: str | None = None


class CreateSchema(Message):
    name: str = ""
    catalog_name: str = ""
    comment: str | None = None


class ListQuery(Message):
    max_results: Int32 | None = None
    page_token: str | None = None


class ListSchemas(ListQuery):
    catalog_name: str = ""


class DeleteQuery(Message):
    force: str | None = None

    @property
    def forced(self) -> bool:
        return (self.force or "").lower() in ("true", "1")


class CreateModelInfo(Message):
    catalog_name: str = ""
    schema_name: str = ""
    name: str = ""
    comment: str | None = None


class ListModels(ListQuery):
    catalog_name: str | None = None
    schema_name: str | None = None


class GetModelInfo(Message):
    include_aliases: str | None = None

    @property
    def aliases(self) -> bool:
        return (self.include_aliases or "").lower() in ("true", "1")


class ListVersions(ListQuery):
    include_aliases: str | None = None


class SetAliasInfo(Message):
    version_num: Int32


class UpdateVersionInfo(Message):
    comment: str | None = None


class PermissionsChange(Message):
    principal: str = ""
    add: list[str] = []
    remove: list[str] = []


class UpdatePermissions(Message):
    changes: list[PermissionsChange] = []


class PermissionsQuery(Message):
    principal: str | None = None
    max_results: Int32 | None = None
    page_token: str | None = None


class LineageQuery(Message):
    table_name: str = ""


class AuditQuery(Message):
    principal: str | None = None
    full_name: str | None = None
    result: str | None = None
    action: str | None = None
    max_results: Int32 | None = None
    page_token: str | None = None
