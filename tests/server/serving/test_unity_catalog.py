"""A Unity Catalog model (`catalog.schema.model`) served by alias, registered with the unmodified mlflow client
(`databricks-uc` registry) and queried through the endpoint."""

from __future__ import annotations

import mlflow

from tests.fixtures.identities import ADMIN_TOKEN
from tests.server.catalog.catalog_helpers import make_schema, train_iris, uc_client
from tests.server.serving.conftest import create_endpoint, entity, invoke


class TestUnityCatalogModels:
    def test_a_uc_model_is_served_by_alias(self, serving_server, admin_ws, monkeypatch, unique):
        catalog = f"serve_{unique}"
        make_schema(serving_server.url, catalog, "ml")
        name = f"{catalog}.ml.iris"
        model, x, signature = train_iris()
        with uc_client(monkeypatch, serving_server.url, ADMIN_TOKEN) as client:
            with mlflow.start_run():
                mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], signature=signature, registered_model_name=name)
            client.set_registered_model_alias(name, "champion", "1")
        ep = create_endpoint(admin_ws, [entity(name, "@champion", "uc-iris")])
        assert ep.config.served_entities[0].entity_version == "1"
        rows = x.head(3)
        r = invoke(serving_server.url, ep.name, {"dataframe_records": rows.to_dict("records")})
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": [int(v) for v in model.predict(rows)]}
        admin_ws.serving_endpoints.delete(ep.name)

    def test_stages_are_refused_for_uc_models(self, serving_server, unique):
        import httpx

        catalog = f"serve_{unique}"
        make_schema(serving_server.url, catalog, "ml")
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={"name": f"uc-{unique}", "config": {"served_entities": [
                           {"entity_name": f"{catalog}.ml.iris", "entity_version": "Production"}]}})
        assert r.status_code == 400
        assert "no stages" in r.json()["message"]
