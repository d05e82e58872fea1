"""The unmodified mlflow client with `mlflow.set_registry_uri("databricks-uc")` against a live server: log and
register, load by version and alias, tags, descriptions, search, rename, delete, copy_model_version, the
signature rule and the PENDING_REGISTRATION → READY life cycle, on both databases."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.catalog.catalog_helpers import api, make_schema, train_iris, uc_client

UC = "/api/2.0/mlflow/unity-catalog"


@pytest.fixture
def schema(auth_server, unique):
    catalog, schema = f"prod_{unique}", "ml_team"
    make_schema(auth_server.url, catalog, schema)
    return f"{catalog}.{schema}"


class TestLogAndLoad:
    def test_log_model_registers_and_loads_by_version_and_alias(self, auth_server, monkeypatch, schema) -> None:
        model, X, signature = train_iris()
        name = f"{schema}.iris"
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN) as client:
            with mlflow.start_run():
                info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature,
                                                registered_model_name=name)
            assert str(info.registered_model_version) == "1"
            mv = client.get_model_version(name, "1")
            assert (mv.name, mv.version, mv.status) == (name, "1", "READY")
            client.set_registered_model_alias(name, "champion", "1")
            expected = model.predict(X.head(5))
            by_version = mlflow.pyfunc.load_model(f"models:/{name}/1")
            by_alias = mlflow.pyfunc.load_model(f"models:/{name}@champion")
            assert np.array_equal(by_version.predict(X.head(5)), expected)
            assert np.array_equal(by_alias.predict(X.head(5)), expected)
            assert client.get_model_version_by_alias(name, "champion").version == "1"
            assert client.get_registered_model(name).aliases == {"champion": "1"}

    def test_register_model_from_a_run(self, auth_server, monkeypatch, schema) -> None:
        model, _, signature = train_iris()
        name = f"{schema}.fraud"
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN):
            with mlflow.start_run() as run:
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature)
            first = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
            second = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
        assert (first.version, second.version) == ("1", "2")
        assert first.run_id == run.info.run_id

    def test_a_model_without_full_signature_is_refused_by_the_server(self, auth_server, monkeypatch, schema,
                                                                    tmp_path) -> None:
        """The client checks signatures itself; the server refuses finalize too, so another client cannot
        skip the rule: the version stays PENDING_REGISTRATION and cannot be loaded."""
        name = f"{schema}.nosig"
        h = ADMIN_TOKEN
        assert api(auth_server.url, h, "POST", UC + "/registered-models/create", json={"name": name}).status_code == 200
        r = api(auth_server.url, h, "POST", UC + "/model-versions/create", json={"name": name, "source": "s3://x"})
        assert r.json()["model_version"]["status"] == "PENDING_REGISTRATION"
        files = f"/api/2.0/fs/files/Models/{name.replace('.', '/')}/1"
        mlmodel = "flavors:\n  python_function: {}\nsignature:\n  inputs: '[{\"type\": \"double\"}]'\n"
        assert api(auth_server.url, h, "PUT", files + "/MLmodel", content=mlmodel.encode()).status_code == 204
        body = assert_error(api(auth_server.url, h, "POST", UC + "/model-versions/finalize",
                                json={"name": name, "version": "1"}), 400, "INVALID_PARAMETER_VALUE")
        assert "both inputs and outputs" in body["message"]
        r = api(auth_server.url, h, "GET", UC + "/model-versions/get", params={"name": name, "version": "1"})
        assert r.json()["model_version"]["status"] == "PENDING_REGISTRATION"
        assert_error(api(auth_server.url, h, "GET", files + "/MLmodel"), 400, "INVALID_PARAMETER_VALUE")

    def test_the_client_refuses_a_model_without_signature(self, auth_server, monkeypatch, schema) -> None:
        model, _, _ = train_iris()
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN), mlflow.start_run():
            with pytest.raises(MlflowException, match="signature"):
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], registered_model_name=f"{schema}.unsigned")


class TestMetadata:
    def test_tags_descriptions_search_rename_delete(self, auth_server, monkeypatch, schema) -> None:
        model, _, signature = train_iris()
        name = f"{schema}.meta"
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN) as client:
            client.create_registered_model(name, tags={"team": "ml"}, description="first")
            with mlflow.start_run():
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature, registered_model_name=name)
            client.set_registered_model_tag(name, "stage", "dev")
            client.delete_registered_model_tag(name, "team")
            client.update_registered_model(name, description="second")
            client.set_model_version_tag(name, "1", "validated", "yes")
            client.update_model_version(name, "1", description="v1 notes")
            rm = client.get_registered_model(name)
            assert (rm.tags, rm.description) == ({"stage": "dev"}, "second")
            mv = client.get_model_version(name, "1")
            assert (mv.tags, mv.description) == ({"validated": "yes"}, "v1 notes")
            client.delete_model_version_tag(name, "1", "validated")
            assert client.get_model_version(name, "1").tags == {}
            assert name in [m.name for m in client.search_registered_models()]
            found = client.search_model_versions(f"name='{name}'")
            assert [(v.name, v.version) for v in found] == [(name, "1")]
            client.rename_registered_model(name, f"{schema}.meta2")
            assert client.get_registered_model(f"{schema}.meta2").description == "second"
            with pytest.raises(MlflowException, match="does not exist"):
                client.get_registered_model(name)
            client.delete_registered_model(f"{schema}.meta2")
            assert f"{schema}.meta2" not in [m.name for m in client.search_registered_models()]

    def test_names_are_three_levels_and_lower_case(self, auth_server, monkeypatch, schema) -> None:
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN) as client:
            with pytest.raises(MlflowException, match="three levels"):
                client.create_registered_model("iris")
            created = client.create_registered_model(f"{schema}.MixedCase")
            assert created.name == f"{schema}.mixedcase"
            with pytest.raises(MlflowException, match="may not contain"):
                client.create_registered_model(f"{schema}.bad name")

    def test_stages_are_refused_naming_aliases(self, auth_server, schema) -> None:
        r = api(auth_server.url, ADMIN_TOKEN, "POST", UC + "/model-versions/transition-stage",
                json={"name": f"{schema}.m", "version": "1", "stage": "Production"})
        assert "aliases" in assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]

    def test_uc_names_are_not_workspace_models(self, auth_server, monkeypatch, schema) -> None:
        name = f"{schema}.separate"
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN) as client:
            client.create_registered_model(name)
        r = api(auth_server.url, ADMIN_TOKEN, "GET", "/api/2.0/mlflow/registered-models/get", params={"name": name})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


class TestAliases:
    def test_alias_limit_is_enforced(self, auth_server, monkeypatch, schema) -> None:
        model, _, signature = train_iris()
        name = f"{schema}.many"
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN) as client:
            with mlflow.start_run():
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature, registered_model_name=name)
            for i in range(10):
                client.set_registered_model_alias(name, f"a{i}x", "1")
            with pytest.raises(MlflowException, match="10 aliases"):
                client.set_registered_model_alias(name, "one_too_many", "1")
            client.set_registered_model_alias(name, "a0x", "1")  # moving an existing alias is fine
            client.delete_registered_model_alias(name, "a0x")
            client.set_registered_model_alias(name, "now_fits", "1")
            assert len(client.get_registered_model(name).aliases) == 10


class TestCopy:
    def test_copy_model_version_between_catalogs(self, auth_server, monkeypatch, unique) -> None:
        make_schema(auth_server.url, f"staging_{unique}", "team")
        make_schema(auth_server.url, f"prod_{unique}", "team")
        model, X, signature = train_iris()
        src, dst = f"staging_{unique}.team.fraud", f"prod_{unique}.team.fraud"
        with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN) as client:
            with mlflow.start_run():
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature, registered_model_name=src)
            copied = client.copy_model_version(f"models:/{src}/1", dst)
            assert (copied.name, copied.version, copied.status) == (dst, "1", "READY")
            loaded = mlflow.pyfunc.load_model(f"models:/{dst}/1")
            assert np.array_equal(loaded.predict(X.head(3)), model.predict(X.head(3)))
            # The copy has files of its own: deleting the source keeps it loadable.
            client.delete_registered_model(src)
            assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{dst}/1").predict(X.head(3)),
                                  model.predict(X.head(3)))


class TestSearchBeyondDatabricks:
    def test_filters_with_or_tags_and_order_by(self, auth_server, schema) -> None:
        h = ADMIN_TOKEN
        for name, team in (("alpha", "ml"), ("beta", "data"), ("gamma", "ml")):
            api(auth_server.url, h, "POST", UC + "/registered-models/create",
                json={"name": f"{schema}.{name}", "tags": [{"key": "team", "value": team}]})

        def search(**params) -> list[str]:
            r = api(auth_server.url, h, "GET", UC + "/registered-models/search", params=params)
            assert r.status_code == 200, r.text
            return [m["name"].rsplit(".", 1)[1] for m in r.json().get("registered_models", [])]

        assert search(filter=f"catalog_name = '{schema.split('.')[0]}' AND tags.team = 'ml'") == ["alpha", "gamma"]
        assert search(filter=f"name = '{schema}.beta' OR name LIKE '%.gam%'") == ["beta", "gamma"]
        assert search(filter=f"name LIKE '{schema}.%'", order_by=["name DESC"]) == ["gamma", "beta", "alpha"]
        paged = search(filter=f"name LIKE '{schema}.%'", max_results=2)
        assert paged == ["alpha", "beta"]
        r = api(auth_server.url, h, "GET", UC + "/registered-models/search", params={"filter": "owner = 'x'"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
