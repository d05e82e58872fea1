"""Schemathesis against the server's OpenAPI document: generated requests, valid and invalid, to every
operation never get a server error, and every error answer is MLflow's envelope.

The document is built from the application at collection time (it depends on no database or setting, and
the live server serves the same one: checked below), so each operation is its own pytest test, spread over
the xdist workers; the requests go to a live server per backend.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from regista.server.app import create_app
from regista.server.settings import Settings
from tests.fixtures.databases import database_url
from tests.fixtures.live_server import LiveServer, start_server

# Bounded so one backend takes about a minute on two cores; raise it for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("REGISTA_FUZZ_MAX_EXAMPLES", "25"))


@pytest.fixture(scope="session")
def fuzz_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: the fuzzer deletes, renames and re-permissions whatever it finds, which must not
    reach the data other tests share on `live_server`."""
    tmp = tmp_path_factory.mktemp(f"fuzz-server-{backend}")
    with database_url(backend, tmp) as url:
        server = start_server(backend, url, tmp)
        try:
            yield server
        finally:
            server.stop()


@schemathesis.check
def error_is_the_mlflow_envelope(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                 case: schemathesis.Case) -> bool | None:
    """Every 4xx/5xx answer is `{"error_code": str, "message": str}` with a JSON content type."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), f"error answered as {content_type!r}"
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("error_code"), str), body
    assert isinstance(body.get("message"), str), body
    return None


def _document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        # Building the app only reads its routes: no lifespan runs, the database is never touched.
        return create_app(Settings(data_dir=Path(tmp))).openapi()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_live_server_serves_the_fuzzed_document(fuzz_server: LiveServer) -> None:
    served = httpx.get(f"{fuzz_server.url}/openapi.json").json()
    assert served == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case, fuzz_server: LiveServer) -> None:
    case.call_and_validate(base_url=fuzz_server.url, checks=[not_a_server_error, error_is_the_mlflow_envelope])
