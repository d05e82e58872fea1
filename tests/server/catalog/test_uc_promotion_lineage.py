"""Promotion dev → staging → prod by three principals with the mlflow client (each catalog's privileges apply),
lineage both ways (REST and CLI), the audit log on the CLI, and the expiry of versions never finalized."""

from __future__ import annotations

import subprocess
import sys

import mlflow
import numpy as np
import orjson
import pytest
from mlflow.exceptions import MlflowException

from tests.fixtures.identities import ADMIN_TOKEN
from tests.fixtures.wire import assert_error
from tests.server.catalog.catalog_helpers import api, grant, make_schema, train_iris, uc_client

UC = "/api/2.0/mlflow/unity-catalog"
UC21 = "/api/2.1/unity-catalog"


def cli(server, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "regista.cli.main", "catalog", *args,
                          "--backend-store-uri", server.database_url], capture_output=True, text=True, check=True,
                         timeout=120)
    return [orjson.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def _use(url: str, catalog: str, principal: str, *extra: str) -> None:
    grant(url, "catalog", catalog, principal, "USE_CATALOG", "USE_SCHEMA", *extra)


class TestPromotion:
    def test_dev_to_staging_to_prod_by_three_principals(self, auth_server, identities, monkeypatch, unique) -> None:
        url = auth_server.url
        dev, staging, prod = (f"{env}_{unique}" for env in ("dev", "staging", "prod"))
        for catalog in (dev, staging, prod):
            make_schema(url, catalog, "team")
        scientist, engineer, release = (identities.service_principal() for _ in range(3))
        _use(url, dev, scientist.name, "CREATE_MODEL")
        _use(url, dev, engineer.name, "EXECUTE")
        _use(url, staging, engineer.name, "CREATE_MODEL")
        _use(url, staging, release.name, "EXECUTE")
        _use(url, prod, release.name, "CREATE_MODEL")
        model, X, signature = train_iris()
        expected = model.predict(X.head(5))
        with uc_client(monkeypatch, url, scientist.token):
            # The scientist trains in an experiment of its own.
            mlflow.set_experiment(f"fraud-{unique}")
            with mlflow.start_run():
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature,
                                         registered_model_name=f"{dev}.team.fraud")
        with uc_client(monkeypatch, url, scientist.token) as client:
            with pytest.raises(MlflowException, match="PERMISSION_DENIED|does not have"):
                client.copy_model_version(f"models:/{dev}.team.fraud/1", f"prod_{unique}.team.fraud")
        # Reading the scientist's run needs a grant on its experiment: the engineer gets CAN_READ on it.
        with uc_client(monkeypatch, url, ADMIN_TOKEN):
            exp_id = mlflow.get_experiment_by_name(f"fraud-{unique}").experiment_id
        for reader in (engineer, release):
            identities.grant("experiments", exp_id, reader, "CAN_READ")
        with uc_client(monkeypatch, url, engineer.token) as client:
            staged = client.copy_model_version(f"models:/{dev}.team.fraud/1", f"{staging}.team.fraud")
            assert (staged.name, staged.version) == (f"{staging}.team.fraud", "1")
        with uc_client(monkeypatch, url, release.token) as client:
            released = client.copy_model_version(f"models:/{staging}.team.fraud/1", f"{prod}.team.fraud")
            client.set_registered_model_alias(f"{prod}.team.fraud", "champion", released.version)
            loaded = mlflow.pyfunc.load_model(f"models:/{prod}.team.fraud@champion")
            assert np.array_equal(loaded.predict(X.head(5)), expected)
        # The engineer may read dev and write staging, but not prod.
        with uc_client(monkeypatch, url, engineer.token) as client:
            with pytest.raises(MlflowException, match="PERMISSION_DENIED|does not have"):
                client.get_registered_model(f"{prod}.team.fraud")


class TestLineage:
    def test_tables_a_run_read_are_recorded_and_queryable_both_ways(self, auth_server, identities, monkeypatch,
                                                                    unique) -> None:
        url = auth_server.url
        catalog = f"lin_{unique}"
        make_schema(url, catalog, "s")
        model, X, signature = train_iris()
        table = f"main.features.iris_{unique}"
        with uc_client(monkeypatch, url, ADMIN_TOKEN):
            with mlflow.start_run():
                mlflow.log_input(mlflow.data.from_pandas(X, name=table), context="training")
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature,
                                         registered_model_name=f"{catalog}.s.m")
        r = api(url, ADMIN_TOKEN, "GET", f"{UC21}/models/{catalog}.s.m/versions/1/lineage")
        assert [(u["name"], u["context"]) for u in r.json()["upstreams"]] == [(table, "training")]
        r = api(url, ADMIN_TOKEN, "GET", f"{UC21}/lineage/model-versions", params={"table_name": table})
        assert [(v["full_name"], v["version"]) for v in r.json()["model_versions"]] == [(f"{catalog}.s.m", 1)], r.text
        stranger = identities.service_principal()
        r = api(url, stranger.token, "GET", f"{UC21}/lineage/model-versions", params={"table_name": table})
        assert r.json() == {"model_versions": []}
        assert_error(api(url, stranger.token, "GET", f"{UC21}/models/{catalog}.s.m/versions/1/lineage"), 403,
                     "PERMISSION_DENIED")
        assert [v["version"] for v in cli(auth_server, "lineage", "--table", table)] == [1]
        assert [u["name"] for u in cli(auth_server, "lineage", "--model", f"{catalog}.s.m", "--version", "1")] == [
            table]


class TestMaintenance:
    def test_audit_on_the_cli(self, auth_server, unique) -> None:
        make_schema(auth_server.url, f"aud_{unique}", "s")
        entries = cli(auth_server, "audit", "--full-name", f"aud_{unique}.s")
        assert [(e["action"], e["result"]) for e in entries] == [("createSchema", "ALLOWED")]

    def test_versions_never_finalized_are_removed(self, auth_server, unique) -> None:
        url = auth_server.url
        make_schema(url, f"pend_{unique}", "s")
        full = f"pend_{unique}.s.m"
        api(url, ADMIN_TOKEN, "POST", UC + "/registered-models/create", json={"name": full})
        api(url, ADMIN_TOKEN, "POST", UC + "/model-versions/create", json={"name": full, "source": "s3://b/x"})
        path = f"/api/2.0/fs/files/Models/pend_{unique}/s/m/1/MLmodel"
        content = f"flavors: {{}}\n# {unique}\n".encode()
        assert api(url, ADMIN_TOKEN, "PUT", path, content=content).status_code == 204
        assert_error(api(url, ADMIN_TOKEN, "GET", path), 400, "INVALID_PARAMETER_VALUE")  # pending: not loadable
        stored = [p for p in (auth_server.data_dir / "artifacts" / "_catalog").glob("*/MLmodel")
                  if p.read_bytes() == content]
        assert len(stored) == 1
        out = subprocess.run([sys.executable, "-m", "regista.cli.main", "catalog", "expire-pending",
                              "--older-than", "0", "--backend-store-uri", auth_server.database_url,
                              "--artifacts-destination", str(auth_server.data_dir / "artifacts")],
                             capture_output=True, text=True, check=True, timeout=120)
        assert "removed" in out.stdout
        assert_error(api(url, ADMIN_TOKEN, "GET", UC + "/model-versions/get", params={"name": full, "version": "1"}),
                     404, "RESOURCE_DOES_NOT_EXIST")
        assert not stored[0].exists()
