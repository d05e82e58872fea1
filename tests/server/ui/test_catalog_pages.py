"""The catalog explorer and the audit log in a real browser, on both databases: catalogs, schemas, a model
registered with the unmodified mlflow client (databricks-uc) with its versions, aliases and lineage both
ways; Create catalog / Create schema; grants given and revoked from the page and then in force through the
REST API; a second principal who sees only what their privileges show; the audit log filtered."""

from __future__ import annotations

import uuid

import mlflow

from tests.fixtures.browser import check_page, csrf_of, focus_by_tab
from tests.fixtures.identities import ADMIN_TOKEN
from tests.server.catalog.catalog_helpers import api, grant, make_schema, train_iris, uc_client

UC21 = "/api/2.1/unity-catalog"


def cells(table) -> list[list[str]]:
    return [[c.inner_text() for c in r.get_by_role("cell").all()] for r in table.get_by_role("row").all()[1:]]


def register_iris(monkeypatch, url: str, full_name: str, table: str) -> None:
    model, X, signature = train_iris()
    with uc_client(monkeypatch, url, ADMIN_TOKEN) as client:
        with mlflow.start_run():
            mlflow.log_input(mlflow.data.from_pandas(X, name=table), context="training")
            mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature, registered_model_name=full_name)
        client.set_registered_model_alias(full_name, "champion", "1")


class TestExplorer:
    def test_catalog_schema_model_version_and_lineage(self, auth_server, admin_page, monkeypatch) -> None:
        catalog, table = f"ui_{uuid.uuid4().hex[:8]}", f"main.features.iris_{uuid.uuid4().hex[:6]}"
        make_schema(auth_server.url, catalog, "team")
        register_iris(monkeypatch, auth_server.url, f"{catalog}.team.iris", table)

        admin_page.goto("/catalog")
        check_page(admin_page, "catalog-list-" + auth_server.backend)
        # The shared server holds many catalogs by now (50 a page): open this one by its address.
        admin_page.goto(f"/catalog/{catalog}")
        check_page(admin_page, "catalog-catalog-" + auth_server.backend)
        admin_page.get_by_role("link", name="team", exact=True).click()
        models = admin_page.get_by_role("table", name=f"Models in {catalog}.team")
        assert cells(models)[0][:2] == [f"{catalog}.team.iris", "@champion → v1"]
        check_page(admin_page, "catalog-schema-" + auth_server.backend)
        admin_page.get_by_role("link", name=f"{catalog}.team.iris").click()
        check_page(admin_page, "catalog-model-" + auth_server.backend)
        versions = admin_page.get_by_role("table", name=f"Versions of {catalog}.team.iris")
        assert [row[:3] for row in cells(versions)] == [["Version 1", "READY", "@champion"]]
        admin_page.get_by_role("link", name="Version 1").click()
        lineage = admin_page.get_by_role("region", name="Lineage")
        assert cells(lineage)[0][:2] == [table, "training"]
        check_page(admin_page, "catalog-version-" + auth_server.backend)
        # Lineage the other way: from the table to the versions trained on it.
        lineage.get_by_role("link", name=f"Versions trained on {table}").click()
        found = admin_page.get_by_role("table", name=f"Versions trained on {table}")
        assert cells(found) == [[f"{catalog}.team.iris", "Version 1", "READY"]]
        check_page(admin_page, "catalog-lineage-" + auth_server.backend, themes=("light",))

    def test_create_catalog_and_schema(self, auth_server, admin_page) -> None:
        catalog = f"ui_{uuid.uuid4().hex[:8]}"
        admin_page.goto("/catalog")
        admin_page.get_by_role("button", name="Create catalog").click()
        admin_page.get_by_role("dialog").get_by_label("Catalog name").fill(catalog)
        admin_page.get_by_role("dialog").get_by_role("button", name="Create").click()
        assert admin_page.get_by_role("status").inner_text() == f"Catalog {catalog} created."
        admin_page.get_by_role("button", name="Create schema").click()
        admin_page.get_by_role("dialog").get_by_label("Schema name").fill("Features")
        admin_page.get_by_role("dialog").get_by_role("button", name="Create").click()
        # UC names are lower-cased.
        assert admin_page.get_by_role("status").inner_text() == f"Schema {catalog}.features created."
        assert api(auth_server.url, ADMIN_TOKEN, "GET", f"{UC21}/schemas/{catalog}.features").status_code == 200

    def test_a_bad_name_is_explained_and_creates_nothing(self, auth_server, admin_page) -> None:
        admin_page.goto("/catalog")
        refused = admin_page.request.post("/catalog/catalogs", form={"name": "a.b", "csrf_token": csrf_of(admin_page)})
        assert refused.status == 400
        assert api(auth_server.url, ADMIN_TOKEN, "GET", f"{UC21}/catalogs/a.b").status_code in (400, 404)


class TestGrantsAsASecondPrincipal:
    def test_grants_from_the_page_decide_what_a_user_sees(self, auth_server, identities, admin_page, page_as,
                                                          monkeypatch) -> None:
        catalog = f"ui_{uuid.uuid4().hex[:8]}"
        make_schema(auth_server.url, catalog, "team")
        register_iris(monkeypatch, auth_server.url, f"{catalog}.team.iris", f"t_{uuid.uuid4().hex[:6]}")
        user = identities.user()
        page = page_as(user.token, "/catalog")
        assert page.get_by_role("link", name=catalog, exact=True).count() == 0
        assert page.goto(f"/catalog/{catalog}/team/iris").status == 403

        # The admin grants USE CATALOG on the catalog, USE SCHEMA and EXECUTE on the schema, from the pages.
        for path, privileges in ((f"/catalog/{catalog}", ("USE_CATALOG",)),
                                 (f"/catalog/{catalog}/team", ("USE_SCHEMA", "EXECUTE"))):
            admin_page.goto(path)
            for privilege in privileges:
                admin_page.get_by_label("Principal").fill(user.name)
                admin_page.get_by_label("Privilege").select_option(privilege)
                admin_page.get_by_role("button", name="Grant", exact=True).click()
                assert admin_page.get_by_role("status").inner_text().startswith(f"Granted {privilege} on")
        page.goto("/catalog")
        page.get_by_role("link", name=catalog, exact=True).click()
        page.get_by_role("link", name="team", exact=True).click()
        page.get_by_role("link", name=f"{catalog}.team.iris").click()
        assert "Version 1" in page.get_by_role("table", name=f"Versions of {catalog}.team.iris").inner_text()
        # Not an owner nor MANAGE: the grants are shown, the grant form is not, and posting is refused.
        assert page.get_by_role("button", name="Grant", exact=True).count() == 0
        refused = page.request.post("/catalog/grants", form={
            "securable_type": "function", "full_name": f"{catalog}.team.iris", "principal": user.name,
            "privilege": "MANAGE", "op": "add", "csrf_token": csrf_of(page)})
        assert refused.status == 403

        # Revoking EXECUTE on the schema from the page takes the model away again.
        admin_page.goto(f"/catalog/{catalog}/team")
        admin_page.get_by_role("button", name=f"Revoke EXECUTE from {user.name}").click()
        assert admin_page.get_by_role("status").inner_text() == f"Revoked EXECUTE on {catalog}.team from {user.name}."
        assert page.goto(f"/catalog/{catalog}/team/iris").status == 403
        r = api(auth_server.url, user.token, "GET", f"{UC21}/models/{catalog}.team.iris")
        assert r.status_code == 403

    def test_the_audit_log_shows_changes_and_denials_to_admins_only(self, auth_server, identities, admin_page,
                                                                    page_as) -> None:
        catalog = f"ui_{uuid.uuid4().hex[:8]}"
        make_schema(auth_server.url, catalog, "team")
        user = identities.user()
        grant(auth_server.url, "catalog", catalog, user.name, "USE_CATALOG")
        assert api(auth_server.url, user.token, "POST", f"{UC21}/schemas",
                   json={"catalog_name": catalog, "name": "mine"}).status_code == 403
        admin_page.goto(f"/admin/audit?full_name={catalog}")
        entries = cells(admin_page.get_by_role("table", name="Audit entries, newest first"))
        assert [e[4] for e in entries if e[1] == user.name] == ["DENIED"]
        assert any(e[2] == "updatePermissions" and e[4] == "ALLOWED" for e in entries)
        admin_page.get_by_label("Result").select_option("DENIED")
        admin_page.get_by_role("button", name="Filter").click()
        entries = cells(admin_page.get_by_role("table", name="Audit entries, newest first"))
        assert entries and {e[4] for e in entries} == {"DENIED"}
        check_page(admin_page, "admin-audit-" + auth_server.backend, themes=("light",))
        assert page_as(user.token).goto("/admin/audit").status == 403

    def test_create_and_grant_with_the_keyboard(self, auth_server, admin_page) -> None:
        """Create catalog, its dialog and the grant form work from the keyboard alone."""
        catalog = f"kb_{uuid.uuid4().hex[:8]}"
        admin_page.goto("/catalog")
        focus_by_tab(admin_page, "Create catalog")
        admin_page.keyboard.press("Enter")
        admin_page.keyboard.type(catalog)  # the dialog opens with its first field focused
        admin_page.keyboard.press("Enter")
        assert admin_page.get_by_role("status").inner_text() == f"Catalog {catalog} created."
        for action in ("Create schema", "Grant"):
            focus_by_tab(admin_page, action)

