"""The unmodified databricks-sdk on /api/2.1/unity-catalog: w.catalogs, w.schemas, w.registered_models,
w.model_versions, w.grants (models are `function`), effective grants and ownership transfer."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import DatabricksError, NotFound, PermissionDenied
from databricks.sdk.service.catalog import PermissionsChange, Privilege

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.server.catalog.catalog_helpers import api, grant
from tests.server.catalog.test_uc_privileges import ready_version


@pytest.fixture
def admin(auth_server):
    return workspace_client(auth_server.url, ADMIN_TOKEN)


class TestCatalogsAndSchemas:
    def test_create_get_list_update_delete(self, admin, unique) -> None:
        cat = admin.catalogs.create(name=f"Sales_{unique}", comment="c")
        assert (cat.name, cat.comment, cat.owner) == (f"sales_{unique}", "c", "admin")
        assert admin.catalogs.get(f"sales_{unique}").full_name == f"sales_{unique}"
        assert f"sales_{unique}" in [c.name for c in admin.catalogs.list()]
        sch = admin.schemas.create(name="ml", catalog_name=f"sales_{unique}")
        assert sch.full_name == f"sales_{unique}.ml"
        assert [s.name for s in admin.schemas.list(catalog_name=f"sales_{unique}")] == ["ml"]
        admin.schemas.update(f"sales_{unique}.ml", comment="models")
        assert admin.schemas.get(f"sales_{unique}.ml").comment == "models"
        with pytest.raises(DatabricksError, match="not empty"):
            admin.catalogs.delete(f"sales_{unique}")
        admin.catalogs.delete(f"sales_{unique}", force=True)
        with pytest.raises(NotFound):
            admin.catalogs.get(f"sales_{unique}")

    def test_only_admins_create_catalogs(self, auth_server, identities, unique) -> None:
        sp = identities.service_principal()
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, sp.token).catalogs.create(name=f"mine_{unique}")

    def test_catalog_owner_creates_schemas(self, auth_server, admin, identities, unique) -> None:
        sp = identities.service_principal()
        admin.catalogs.create(name=f"team_{unique}")
        admin.catalogs.update(f"team_{unique}", owner=sp.name)
        mine = workspace_client(auth_server.url, sp.token)
        assert mine.catalogs.get(f"team_{unique}").owner == sp.name
        assert mine.schemas.create(name="s", catalog_name=f"team_{unique}").owner == sp.name

    def test_listings_show_only_what_the_caller_may_see(self, auth_server, admin, identities, unique) -> None:
        sp = identities.service_principal()
        admin.catalogs.create(name=f"seen_{unique}")
        admin.catalogs.create(name=f"hidden_{unique}")
        admin.schemas.create(name="a", catalog_name=f"seen_{unique}")
        admin.schemas.create(name="b", catalog_name=f"seen_{unique}")
        grant(auth_server.url, "catalog", f"seen_{unique}", sp.name, "USE_CATALOG")
        grant(auth_server.url, "schema", f"seen_{unique}.b", sp.name, "USE_SCHEMA")
        mine = workspace_client(auth_server.url, sp.token)
        names = [c.name for c in mine.catalogs.list()]
        assert f"seen_{unique}" in names and f"hidden_{unique}" not in names
        assert [s.name for s in mine.schemas.list(catalog_name=f"seen_{unique}")] == ["b"]


class TestRegisteredModelsAndVersions:
    def test_models_versions_and_aliases(self, auth_server, admin, unique) -> None:
        admin.catalogs.create(name=f"m_{unique}")
        admin.schemas.create(name="s", catalog_name=f"m_{unique}")
        full = f"m_{unique}.s.iris"
        created = admin.registered_models.create(catalog_name=f"m_{unique}", schema_name="s", name="iris",
                                                 comment="first")
        assert (created.full_name, created.owner, created.comment) == (full, "admin", "first")
        ready_version(auth_server.url, ADMIN_TOKEN, full)
        alias = admin.registered_models.set_alias(full, "champion", 1)
        assert (alias.alias_name, alias.version_num) == ("champion", 1)
        got = admin.registered_models.get(full, include_aliases=True)
        assert [(a.alias_name, a.version_num) for a in got.aliases] == [("champion", 1)]
        assert admin.model_versions.get_by_alias(full, "champion").version == 1
        versions = list(admin.model_versions.list(full))
        assert [(v.version, v.status.value) for v in versions] == [(1, "READY")]
        admin.model_versions.update(full, 1, comment="checked")
        assert admin.model_versions.get(full, 1).comment == "checked"
        assert full in [m.full_name for m in admin.registered_models.list(catalog_name=f"m_{unique}",
                                                                         schema_name="s")]
        admin.registered_models.update(full, new_name="iris2")
        admin.model_versions.delete(f"m_{unique}.s.iris2", 1)
        with pytest.raises(NotFound):
            admin.model_versions.get(f"m_{unique}.s.iris2", 1)
        admin.registered_models.delete(f"m_{unique}.s.iris2")
        with pytest.raises(NotFound):
            admin.registered_models.get(f"m_{unique}.s.iris2")


class TestGrants:
    def test_grant_revoke_effective_and_ownership(self, auth_server, admin, identities, unique) -> None:
        sp = identities.service_principal()
        group = identities.group()
        member = identities.service_principal(group)
        admin.catalogs.create(name=f"g_{unique}")
        admin.schemas.create(name="s", catalog_name=f"g_{unique}")
        full = f"g_{unique}.s.m"
        admin.registered_models.create(catalog_name=f"g_{unique}", schema_name="s", name="m")
        updated = admin.grants.update("catalog", f"g_{unique}", changes=[
            PermissionsChange(principal=sp.name, add=[Privilege.USE_CATALOG, Privilege.EXECUTE])])
        assert [(a.principal, sorted(p.value for p in a.privileges)) for a in updated.privilege_assignments] == [
            (sp.name, ["EXECUTE", "USE_CATALOG"])]
        admin.grants.update("schema", f"g_{unique}.s",
                            changes=[PermissionsChange(principal=sp.name, add=[Privilege.USE_SCHEMA])])
        admin.grants.update("function", full,
                            changes=[PermissionsChange(principal=sp.name, add=[Privilege.APPLY_TAG])])
        direct = admin.grants.get("function", full)
        assert [(a.principal, [p.value for p in a.privileges]) for a in direct.privilege_assignments] == [
            (sp.name, ["APPLY_TAG"])]
        effective = admin.grants.get_effective("function", full, principal=sp.name)
        got = {(p.privilege.value, p.inherited_from_name) for a in effective.privilege_assignments
               for p in a.privileges}
        assert got == {("USE_CATALOG", f"g_{unique}"), ("EXECUTE", f"g_{unique}"),
                       ("USE_SCHEMA", f"g_{unique}.s"), ("APPLY_TAG", None)}
        # Inherited EXECUTE lets the grantee read the model.
        assert workspace_client(auth_server.url, sp.token).registered_models.get(full).full_name == full
        admin.grants.update("catalog", f"g_{unique}",
                            changes=[PermissionsChange(principal=sp.name, remove=[Privilege.EXECUTE])])
        with pytest.raises(PermissionDenied):
            workspace_client(auth_server.url, sp.token).registered_models.get(full)
        # Ownership to a group: its members may change the model (with USE on the parents).
        admin.registered_models.update(full, owner=group.name)
        admin.grants.update("catalog", f"g_{unique}",
                            changes=[PermissionsChange(principal=group.name, add=[Privilege.USE_CATALOG,
                                                                                  Privilege.USE_SCHEMA])])
        assert admin.registered_models.get(full).owner == group.name
        changed = workspace_client(auth_server.url, member.token).registered_models.update(full, comment="ours")
        assert changed.comment == "ours"

    def test_privileges_are_checked_per_securable_type(self, auth_server, admin, unique) -> None:
        admin.catalogs.create(name=f"p_{unique}")
        r = api(auth_server.url, ADMIN_TOKEN, "PATCH", f"/api/2.1/unity-catalog/permissions/catalog/p_{unique}",
                json={"changes": [{"principal": "admin", "add": ["SELECT"]}]})
        assert r.status_code == 400 and "cannot be granted" in r.json()["message"]
        r = api(auth_server.url, ADMIN_TOKEN, "PATCH", f"/api/2.1/unity-catalog/permissions/catalog/p_{unique}",
                json={"changes": [{"principal": "nobody-here", "add": ["USE CATALOG"]}]})
        assert r.status_code == 400 and "does not exist" in r.json()["message"]
        r = api(auth_server.url, ADMIN_TOKEN, "PATCH", f"/api/2.1/unity-catalog/permissions/catalog/p_{unique}",
                json={"changes": [{"principal": "admins", "add": ["USE CATALOG"]}]})
        assert r.json()["privilege_assignments"] == [{"principal": "admins", "privileges": ["USE_CATALOG"]}]
