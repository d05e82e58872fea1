"""store_path: the one normaliser from store URIs to canonical repository-relative paths (ADR 0004)."""

from __future__ import annotations

import pytest

from regista.errors import InvalidParameter
from regista.server.storage.uris import is_registry_path, store_path, to_uri, within


class TestStorePath:
    @pytest.mark.parametrize("uri, expected", [
        ("mlflow-artifacts:/5/run/artifacts", "5/run/artifacts"),
        ("mlflow-artifacts:///5/run/", "5/run"),
        ("MLFLOW-ARTIFACTS:/5", "5"),
        ("mlflow-artifacts://host:5000/5/x", "5/x"),
        ("mlflow-artifacts:/a%20b/c", "a b/c"),
        ("mlflow-artifacts:/5%2Fx", "5/x"),
        ("mlflow-artifacts:/100%25", "100%"),
        ("mlflow-artifacts:/", ""),
        ("mlflow-artifacts:", ""),
        ("http://h/api/2.0/mlflow-artifacts/artifacts/5/x", "5/x"),
        ("https://h/prefix/api/2.0/mlflow-artifacts/artifacts", ""),
    ])
    def test_store_uris_have_one_canonical_path(self, uri: str, expected: str) -> None:
        assert store_path(uri) == expected

    @pytest.mark.parametrize("uri", [
        "s3://b/5", "/abs/path", "relative", "file:///x", "runs:/r/m", "models:/m/1",
        "http://h/api/2.0/mlflow-artifacts/artifactsX/5", "http://h/other/5", "http://[::1",
    ])
    def test_other_locations_are_not_in_the_store(self, uri: str) -> None:
        assert store_path(uri) is None

    @pytest.mark.parametrize("uri", [
        "mlflow-artifacts:/5?", "mlflow-artifacts:/5?x=1", "mlflow-artifacts:/5#", "mlflow-artifacts:/5#f",
        "mlflow-artifacts:/5;p", "mlflow-artifacts:/5/../6", "mlflow-artifacts:/5/%2e%2e/6",
        "mlflow-artifacts:/5/%252e%252e/6", "mlflow-artifacts:/5//6", "mlflow-artifacts:////5",
        "mlflow-artifacts:/5/./6", "mlflow-artifacts:/5\\6", "mlflow-artifacts:/5%5C6", "mlflow-artifacts:/5%00",
        "mlflow-artifacts:/5\x00", "mlflow-artifacts:/5%0a", "http://h/api/2.0/mlflow-artifacts/artifacts/5?",
        "http://h/api/2.0/mlflow-artifacts/artifacts/5/../_registry",
    ])
    def test_malformed_store_uris_are_refused(self, uri: str) -> None:
        with pytest.raises(InvalidParameter):
            store_path(uri)

    @pytest.mark.parametrize("rel", ["5/run/artifacts", "a b/c", "100%", "x?y/z#w", "_registry/0123"])
    def test_to_uri_round_trips(self, rel: str) -> None:
        assert store_path(to_uri(rel)) == rel


class TestPathRelations:
    def test_registry_paths(self) -> None:
        assert is_registry_path("_registry") and is_registry_path("_registry/x")
        assert not is_registry_path("_registryx") and not is_registry_path("5/_registry")

    def test_within(self) -> None:
        assert within("5/a", "5") and within("5", "5") and within("anything", "")
        assert not within("55", "5") and not within("5", "5/a")
