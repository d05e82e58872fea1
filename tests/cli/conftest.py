"""Fixtures of the inference commands' tests: a registered sklearn model with two versions, an alias and a
stage on each live server, and one local Spark session shared by the Spark tests (a JVM start is slow)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.cli.predict_helpers import log_version


@dataclass(frozen=True)
class ScoringModel:
    """A registered model whose version 1 is in Production and version 2 is @champion."""

    url: str
    name: str


@pytest.fixture(scope="session")
def scoring_model(live_server) -> ScoringModel:
    import mlflow
    from mlflow import MlflowClient

    name = f"scoring-{live_server.backend}"
    mlflow.set_tracking_uri(live_server.url)
    mlflow.set_registry_uri(live_server.url)
    client = MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)
    log_version(name, 1)
    log_version(name, 2)
    client.transition_model_version_stage(name, "1", "Production")
    client.set_registered_model_alias(name, "champion", "2")
    return ScoringModel(live_server.url, name)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """The local Spark session `regista predict --engine spark` would build; the command finds it active and
    reuses it (and leaves it running)."""
    from regista.inference.spark import local_session

    session = local_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
