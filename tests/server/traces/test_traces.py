"""MLflow 3 tracing against a live server with the real mlflow client: traces logged by @mlflow.trace and
mlflow.start_span, read back (client, ajax handlers, traces.json), searched, tagged, linked, deleted,
assessed, and spans received over OTLP; and a reader refused a write on the auth server."""

from __future__ import annotations

import json

import httpx
import mlflow
import pytest
from mlflow.entities import AssessmentSource, SpanEvent, SpanStatusCode

from tests.fixtures.wire import assert_error

V3 = "/api/3.0/mlflow"
V2 = "/api/2.0/mlflow"


def _flush() -> None:
    # The client exports traces on a background queue unless MLFLOW_ENABLE_ASYNC_TRACE_LOGGING is off.
    mlflow.flush_trace_async_logging(terminate=False)


@pytest.fixture
def experiment_id(mlflow_client, unique: str) -> str:
    return mlflow.set_experiment(f"traces-{unique}").experiment_id


def _trace(client, experiment_id: str, name: str, status: str = "OK", tags: dict | None = None) -> str:
    span = client.start_trace(name=name, experiment_id=experiment_id, tags=tags)
    client.end_trace(trace_id=span.trace_id, status=status)
    _flush()
    return span.trace_id


def test_traced_function_is_stored_and_read_back(mlflow_client, experiment_id: str, server_url: str) -> None:
    @mlflow.trace(name="predict")
    def predict(question: str) -> str:
        mlflow.update_current_trace(tags={"env": "prod"}, metadata={"session": "s-1"})
        with mlflow.start_span(name="retrieve") as child:
            child.set_attributes({"fruit": "apple"})
            child.add_event(SpanEvent("looked-up", timestamp=99999, attributes={"foo": "bar"}))
        return question.upper()

    assert predict("hello") == "HELLO"
    _flush()
    trace_id = mlflow.get_last_active_trace_id()

    trace = mlflow_client.get_trace(trace_id)
    assert trace.info.experiment_id == experiment_id
    assert trace.info.state.value == "OK" and trace.info.execution_duration is not None
    assert trace.info.tags["env"] == "prod" and trace.info.trace_metadata["session"] == "s-1"
    assert trace.info.tags["mlflow.artifactLocation"] == f"mlflow-artifacts:/{experiment_id}/traces/{trace_id}/artifacts"
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"predict", "retrieve"}
    assert spans["retrieve"].parent_id == spans["predict"].span_id
    assert spans["retrieve"].attributes["fruit"] == "apple"
    assert spans["predict"].outputs == "HELLO"
    assert spans["predict"].status.status_code == SpanStatusCode.OK

    # The web UI's handlers: the Trace with OpenTelemetry spans, and the raw traces.json.
    r = httpx.get(f"{server_url}/ajax-api/3.0/mlflow/traces/get", params={"trace_id": trace_id})
    assert r.status_code == 200, r.text
    otel = {s["name"]: s for s in r.json()["trace"]["spans"]}
    assert {"key": "fruit", "value": {"string_value": "apple"}} in otel["retrieve"]["attributes"]
    assert otel["retrieve"]["events"][0]["name"] == "looked-up"
    r = httpx.get(f"{server_url}/ajax-api/2.0/mlflow/get-trace-artifact", params={"request_id": trace_id})
    assert r.status_code == 200 and r.headers["content-disposition"] == "attachment; filename=traces.json"
    assert {s["name"] for s in json.loads(r.text)["spans"]} == {"predict", "retrieve"}

    assert_error(httpx.get(f"{server_url}{V3}/traces/tr-{'0' * 32}"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_search_filters_orders_and_pages(mlflow_client, experiment_id: str, server_url: str) -> None:
    first = _trace(mlflow_client, experiment_id, "first", tags={"team": "a"})
    second = _trace(mlflow_client, experiment_id, "second", tags={"team": "b"})
    third = _trace(mlflow_client, experiment_id, "third", status="ERROR", tags={"team": "a"})

    def ids(**kwargs) -> list[str]:
        return [t.info.trace_id for t in mlflow_client.search_traces(locations=[experiment_id], **kwargs)]

    assert ids() == [third, second, first]
    assert ids(filter_string="status = 'OK'", order_by=["timestamp ASC"]) == [first, second]
    assert ids(filter_string="tags.team = 'a' AND trace.status = 'ERROR'") == [third]
    assert ids(filter_string="name = 'second'") == [second]
    assert ids(filter_string="tags.team LIKE 'b%'") == [second]
    assert ids(filter_string="tags.missing IS NULL AND execution_time_ms >= 0") == [third, second, first]

    page = mlflow_client.search_traces(locations=[experiment_id], max_results=2)
    assert [t.info.trace_id for t in page] == [third, second] and page.token
    rest = mlflow_client.search_traces(locations=[experiment_id], max_results=2, page_token=page.token)
    assert [t.info.trace_id for t in rest] == [first] and rest.token is None

    search = f"{server_url}{V3}/traces/search"
    location = {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}
    for bad in ("nosuch.key = 'x'", "timestamp_ms > 'soon'", "status = 'OK' OR status = 'ERROR'", "tags.a ="):
        assert_error(httpx.post(search, json={"locations": [location], "filter": bad}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(httpx.post(search, json={"locations": [location], "max_results": 501}), 400,
                 "INVALID_PARAMETER_VALUE")


def test_tags_link_to_run_and_delete(mlflow_client, experiment_id: str, server_url: str) -> None:
    kept = _trace(mlflow_client, experiment_id, "kept")
    other = _trace(mlflow_client, experiment_id, "other")
    mlflow_client.set_trace_tag(kept, "reviewed", "yes")
    mlflow_client.delete_trace_tag(other, "mlflow.traceName")
    assert mlflow_client.get_trace(kept).info.tags["reviewed"] == "yes"
    assert "mlflow.traceName" not in mlflow_client.get_trace(other).info.tags
    assert_error(httpx.request("DELETE", f"{server_url}{V2}/traces/{kept}/tags", json={"key": "nope"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")

    prompts = {"trace_id": kept, "prompt_versions": [{"name": "greeting", "version": "2"}]}
    for _ in range(2):  # linking again adds nothing
        assert httpx.post(f"{server_url}{V2}/traces/link-prompts", json=prompts).status_code == 200
    linked_prompts = mlflow_client.get_trace(kept).info.tags["mlflow.linkedPrompts"]
    assert json.loads(linked_prompts) == [{"name": "greeting", "version": "2"}]

    run_id = mlflow_client.create_run(experiment_id).info.run_id
    with mlflow.start_run(run_id=run_id):
        with mlflow.start_span(name="in-run") as span:
            span.set_inputs({"q": 1})
    _flush()
    mlflow_client.link_traces_to_run([kept], run_id=run_id)
    linked = mlflow_client.search_traces(locations=[experiment_id], filter_string=f"run_id = '{run_id}'")
    assert {t.info.trace_id for t in linked} == {kept, span.trace_id}

    assert mlflow_client.delete_traces(experiment_id, trace_ids=[other]) == 1
    assert_error(httpx.get(f"{server_url}{V3}/traces/{other}"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert mlflow_client.delete_traces(experiment_id, max_timestamp_millis=2**62, max_traces=1) == 1
    assert mlflow_client.delete_traces(experiment_id, max_timestamp_millis=2**62) == 1
    assert list(mlflow_client.search_traces(locations=[experiment_id])) == []
    # Neither or both of the two ways to choose traces: refused, nothing deleted.
    body = {"experiment_id": experiment_id, "max_timestamp_millis": 1, "request_ids": ["tr-1"]}
    assert_error(httpx.post(f"{server_url}{V2}/traces/delete-traces", json=body), 400, "INVALID_PARAMETER_VALUE")


def test_assessments_feedback_expectations_and_overrides(mlflow_client, experiment_id: str) -> None:
    trace_id = _trace(mlflow_client, experiment_id, "judged")
    human = AssessmentSource(source_type="HUMAN", source_id="reviewer@example.com")
    feedback = mlflow.log_feedback(trace_id=trace_id, name="helpful", value=True, source=human,
                                   rationale="answered the question", metadata={"round": "1"})
    expectation = mlflow.log_expectation(trace_id=trace_id, name="answer", value={"text": "42"}, source=human)

    got = mlflow.get_assessment(trace_id, feedback.assessment_id)
    assert (got.name, got.value, got.rationale, got.metadata) == ("helpful", True, "answered the question",
                                                                  {"round": "1"})
    assert got.source.source_type == "HUMAN" and got.valid is True
    assert mlflow.get_assessment(trace_id, expectation.assessment_id).value == {"text": "42"}

    updated = mlflow.update_assessment(trace_id, feedback.assessment_id,
                                       mlflow.entities.Feedback(name="helpful", value=False))
    assert updated.value is False

    override = mlflow.override_feedback(trace_id=trace_id, assessment_id=feedback.assessment_id, value=True,
                                        rationale="second look")
    assert mlflow.get_assessment(trace_id, feedback.assessment_id).valid is False
    info = mlflow_client.get_trace(trace_id).info
    assert {a.assessment_id for a in info.assessments} == {feedback.assessment_id, expectation.assessment_id,
                                                            override.assessment_id}
    assert [t.info.trace_id for t in mlflow_client.search_traces(
        locations=[experiment_id], filter_string="feedback.helpful = 'true'")] == [trace_id]

    mlflow.delete_assessment(trace_id, override.assessment_id)
    assert mlflow.get_assessment(trace_id, feedback.assessment_id).valid is True
    with pytest.raises(mlflow.exceptions.MlflowException, match="not found"):
        mlflow.get_assessment(trace_id, override.assessment_id)


def test_spans_over_otlp(mlflow_client, experiment_id: str, server_url: str) -> None:
    from mlflow.entities import Span
    from mlflow.tracing.constant import SpanAttributeKey
    from mlflow.tracing.utils import build_otel_context
    from opentelemetry.sdk.trace import ReadableSpan

    root = mlflow_client.start_trace("otlp-root", experiment_id=experiment_id)
    otel = ReadableSpan(
        name="remote-step",
        context=build_otel_context(trace_id=int(root.trace_id[3:], 16), span_id=0x1234567890ABCDEF),
        parent=None, start_time=1_000_000_000, end_time=2_000_000_000,
        attributes={SpanAttributeKey.REQUEST_ID: root.trace_id, "note": json.dumps("needle in spans")},
    )
    store = mlflow_client._tracking_client.store
    assert len(store.log_spans(location=experiment_id, spans=[Span(otel)])) == 1
    # The same trace's spans sent under another experiment are refused (spans stay in one experiment).
    elsewhere = mlflow_client.create_experiment(f"{experiment_id}-elsewhere")
    with pytest.raises(mlflow.exceptions.MlflowException, match="another experiment"):
        store.log_spans(location=elsewhere, spans=[Span(otel)])
    mlflow_client.end_trace(trace_id=root.trace_id)
    _flush()
    found = mlflow_client.search_traces(locations=[experiment_id], filter_string="trace.text LIKE '%needle%'")
    assert [t.info.trace_id for t in found] == [root.trace_id]
    assert [t.info.trace_id for t in mlflow_client.search_traces(
        locations=[experiment_id], filter_string="span.name = 'remote-step'")] == [root.trace_id]

    # A body that is not OTLP protobuf is refused and stores nothing.
    r = httpx.post(f"{server_url}/v1/traces", content=b"\x0a\xff\xff", headers={
        "content-type": "application/x-protobuf", "x-mlflow-experiment-id": experiment_id})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_a_reader_reads_but_cannot_write(auth_server, identities, as_caller, unique: str) -> None:
    from tests.fixtures.identities import ADMIN_TOKEN

    admin = as_caller(ADMIN_TOKEN)
    experiment_id = admin.create_experiment(f"traces-auth-{unique}")
    trace_id = _trace(admin, experiment_id, "guarded")
    reader = identities.user()
    identities.grant("experiments", experiment_id, reader, "CAN_READ")
    stranger = identities.user()

    client = as_caller(reader.token)
    assert [t.info.trace_id for t in client.search_traces(locations=[experiment_id])] == [trace_id]
    assert client.get_trace(trace_id).info.trace_id == trace_id
    with pytest.raises(mlflow.exceptions.MlflowException, match="PERMISSION_DENIED|permission"):
        client.set_trace_tag(trace_id, "k", "v")
    headers = {"Authorization": f"Bearer {stranger.token}"}
    r = httpx.get(f"{auth_server.url}{V3}/traces/{trace_id}", headers=headers)
    assert_error(r, 403, "PERMISSION_DENIED")
    as_caller(ADMIN_TOKEN)
    assert "k" not in admin.get_trace(trace_id).info.tags
