"""Serving endpoints through the unmodified databricks-sdk and raw HTTP: create / get / list / delete, a
real sklearn model queried in every input format, traffic split, metrics, logs and the OpenAPI document."""

from __future__ import annotations

import json
import os
from collections import Counter

import httpx
import pytest
from databricks.sdk.errors import NotFound

from tests.fixtures.identities import ADMIN_TOKEN
from tests.server.serving.conftest import (
    COLUMNS,
    CONSTANT,
    ROWS,
    create_endpoint,
    entity,
    invoke,
    split,
)


@pytest.fixture(scope="module")
def iris_endpoint(serving_server, models):
    """One endpoint serving version 1 of the classifier, shared by the read-only tests of this module."""
    from tests.fixtures.identities import workspace_client

    ws = workspace_client(serving_server.url, ADMIN_TOKEN)
    return create_endpoint(ws, [entity(models.classifier, "1")])


@pytest.fixture(scope="module")
def expected(serving_server, models):
    """What version 1 predicts for ROWS, computed in this process."""
    import mlflow
    import pandas as pd

    os.environ["MLFLOW_TRACKING_TOKEN"] = ADMIN_TOKEN
    try:
        mlflow.set_registry_uri(serving_server.url)
        model = mlflow.pyfunc.load_model(f"models:/{models.classifier}/1")
        return [int(v) for v in model.predict(pd.DataFrame(ROWS, columns=COLUMNS))]
    finally:
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)


class TestCreateServingEndpoint:
    def test_create_and_wait_ends_ready_serving_the_version(self, iris_endpoint, models):
        ep = iris_endpoint
        assert ep.state.ready.value == "READY"
        assert ep.state.config_update.value == "NOT_UPDATING"
        served = ep.config.served_entities[0]
        assert (served.entity_name, served.entity_version) == (models.classifier, "1")
        assert served.name == f"{models.classifier}-1"
        assert served.state.deployment.value == "DEPLOYMENT_READY"
        assert ep.creator == "admin"
        assert ep.permission_level.value == "CAN_MANAGE"

    def test_unknown_model_is_refused_and_nothing_is_created(self, serving_server, admin_ws, unique):
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={"name": f"ep-{unique}", "config": {"served_entities": [
                           {"entity_name": f"missing-{unique}", "entity_version": "1"}]}})
        assert r.status_code == 404
        assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        assert f"ep-{unique}" not in [e.name for e in admin_ws.serving_endpoints.list()]

    @pytest.mark.parametrize(("body", "needle"), [
        ({"name": "bad name!", "config": {"served_entities": [{"entity_name": "m", "entity_version": "1"}]}},
         "Invalid serving endpoint name"),
        ({"name": "no-config"}, "needs a config"),
    ])
    def test_bad_input_is_a_400_envelope(self, serving_server, body, needle):
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, json=body)
        assert r.status_code == 400
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert needle in r.json()["message"]

    def test_traffic_must_add_up_to_100(self, serving_server, models, unique):
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={"name": f"ep-{unique}", "config": {
                           "served_entities": [{"entity_name": models.classifier, "entity_version": "1"}],
                           "traffic_config": {"routes": [
                               {"served_model_name": f"{models.classifier}-1", "traffic_percentage": 60}]}}})
        assert r.status_code == 400
        assert "add up to 100" in r.json()["message"]

    def test_a_second_endpoint_of_the_same_name_is_refused(self, serving_server, iris_endpoint, models):
        r = httpx.post(f"{serving_server.url}/api/2.0/serving-endpoints",
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={"name": iris_endpoint.name, "config": {"served_entities": [
                           {"entity_name": models.classifier, "entity_version": "1"}]}})
        assert r.status_code == 400
        assert r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


class TestGetAndListServingEndpoints:
    def test_get_and_list_show_the_endpoint(self, admin_ws, iris_endpoint, models):
        got = admin_ws.serving_endpoints.get(iris_endpoint.name)
        assert got.id == iris_endpoint.id
        assert got.config.traffic_config.routes[0].traffic_percentage == 100
        listed = {e.name: e for e in admin_ws.serving_endpoints.list()}
        assert listed[iris_endpoint.name].config.served_entities[0].entity_version == "1"

    def test_get_of_a_missing_endpoint_is_a_404(self, admin_ws, unique):
        with pytest.raises(NotFound):
            admin_ws.serving_endpoints.get(f"missing-{unique}")


class TestQueryServingEndpoint:
    @pytest.mark.parametrize("payload", [
        split(),
        {"dataframe_records": [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]},
        {"instances": [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]},
        {"inputs": {c: [row[i] for row in ROWS] for i, c in enumerate(COLUMNS)}},
    ], ids=["dataframe_split", "dataframe_records", "instances", "inputs"])
    def test_every_input_format_predicts_like_the_model_in_process(
        self, serving_server, iris_endpoint, expected, payload
    ):
        r = invoke(serving_server.url, iris_endpoint.name, payload)
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": expected}
        assert r.headers["served-model-name"] == iris_endpoint.config.served_entities[0].name

    def test_the_sdk_query_returns_predictions_and_the_served_model(self, admin_ws, iris_endpoint, expected):
        from databricks.sdk.service.serving import DataframeSplitInput

        res = admin_ws.serving_endpoints.query(
            iris_endpoint.name, dataframe_split=DataframeSplitInput(columns=COLUMNS, data=ROWS)
        )
        assert res.predictions == expected
        assert res.served_model_name == iris_endpoint.config.served_entities[0].name

    def test_a_missing_column_is_a_400_naming_it(self, serving_server, iris_endpoint):
        r = invoke(serving_server.url, iris_endpoint.name,
                   {"dataframe_split": {"columns": COLUMNS[:3], "data": [row[:3] for row in ROWS]}})
        assert r.status_code == 400
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "petal_width" in r.json()["message"]

    def test_no_input_key_is_a_400(self, serving_server, iris_endpoint):
        r = invoke(serving_server.url, iris_endpoint.name, {"rows": ROWS})
        assert r.status_code == 400
        assert set(r.json()) >= {"error_code", "message"}

    def test_a_body_over_16_mb_is_refused(self, serving_server, iris_endpoint):
        body = b'{"inputs": "' + b"x" * (16 << 20) + b'"}'
        r = httpx.post(f"{serving_server.url}/serving-endpoints/{iris_endpoint.name}/invocations",
                       content=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                              "Content-Type": "application/json"}, timeout=60)
        assert r.status_code == 413
        assert "16777216" in r.json()["message"]

    def test_a_missing_endpoint_is_a_404(self, serving_server, unique):
        r = invoke(serving_server.url, f"missing-{unique}", split())
        assert r.status_code == 404
        assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


class TestTrafficSplit:
    def test_requests_are_split_between_served_entities(self, serving_server, admin_ws, models):
        ep = create_endpoint(
            admin_ws, [entity(models.classifier, "1", "a"), entity(models.classifier, "2", "b")],
            routes=[("a", 50), ("b", 50)],
        )
        seen: Counter[str] = Counter()
        for _ in range(60):
            r = invoke(serving_server.url, ep.name, split(ROWS[:1]))
            assert r.status_code == 200
            seen[r.headers["served-model-name"]] += 1
            if r.headers["served-model-name"] == "b":
                assert r.json() == {"predictions": [CONSTANT]}
        assert set(seen) == {"a", "b"}
        admin_ws.serving_endpoints.delete(ep.name)

    def test_a_zero_percent_route_gets_no_traffic(self, serving_server, admin_ws, models):
        ep = create_endpoint(
            admin_ws, [entity(models.classifier, "1", "live"), entity(models.classifier, "2", "shadow")],
            routes=[("live", 100), ("shadow", 0)],
        )
        names = {invoke(serving_server.url, ep.name, split(ROWS[:1])).headers["served-model-name"]
                 for _ in range(20)}
        assert names == {"live"}
        admin_ws.serving_endpoints.delete(ep.name)


class TestMetricsLogsOpenApi:
    def test_export_metrics_counts_requests_in_prometheus_text(self, serving_server, admin_ws, iris_endpoint):
        invoke(serving_server.url, iris_endpoint.name, split())
        invoke(serving_server.url, iris_endpoint.name, {"dataframe_split": {"columns": ["nope"], "data": [[1]]}})
        text = admin_ws.serving_endpoints.export_metrics(iris_endpoint.name).contents.read().decode()
        served = iris_endpoint.config.served_entities[0].name
        counts = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
                  if line and not line.startswith("#")}
        labels = f'{{endpoint_name="{iris_endpoint.name}",served_entity_name="{served}"}}'
        assert counts[f"request_count_total{labels}"] >= 2
        assert counts[f"request_4xx_count_total{labels}"] >= 1
        assert "# TYPE request_latency_seconds histogram" in text
        assert counts[f"request_latency_seconds_count{labels}"] == counts[f"request_count_total{labels}"]

    def test_logs_show_the_worker_loading_the_model(self, admin_ws, iris_endpoint, models):
        served = iris_endpoint.config.served_entities[0].name
        logs = admin_ws.serving_endpoints.logs(iris_endpoint.name, served).logs
        assert f"starting worker for {models.classifier} version 1" in logs

    def test_logs_of_an_unknown_served_entity_are_a_404(self, admin_ws, iris_endpoint):
        with pytest.raises(NotFound):
            admin_ws.serving_endpoints.logs(iris_endpoint.name, "nobody")
        with pytest.raises(NotFound):
            admin_ws.serving_endpoints.build_logs(iris_endpoint.name, "nobody")

    def test_build_logs_say_the_local_manager_builds_nothing(self, admin_ws, iris_endpoint):
        served = iris_endpoint.config.served_entities[0].name
        logs = admin_ws.serving_endpoints.build_logs(iris_endpoint.name, served).logs
        assert "No build" in logs and "'local'" in logs

    def test_open_api_lists_the_signature_columns(self, admin_ws, iris_endpoint):
        doc = json.loads(admin_ws.serving_endpoints.get_open_api(iris_endpoint.name).contents.read())
        op = doc["paths"][f"/serving-endpoints/{iris_endpoint.name}/invocations"]["post"]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        split_schema = schema["oneOf"][0]["properties"]["dataframe_split"]
        assert split_schema["properties"]["columns"]["items"]["enum"] == COLUMNS


class TestDeleteServingEndpoint:
    def test_delete_removes_it_and_its_queries(self, serving_server, admin_ws, models):
        ep = create_endpoint(admin_ws, [entity(models.classifier, "1")])
        admin_ws.serving_endpoints.delete(ep.name)
        assert ep.name not in [e.name for e in admin_ws.serving_endpoints.list()]
        assert invoke(serving_server.url, ep.name, split()).status_code == 404
