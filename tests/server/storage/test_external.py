"""Locations outside the store: which are local paths, and which hosts no source or location may name."""

from __future__ import annotations

import pytest

from regista.server.storage.external import forbidden_host, is_local, local_path, path_within


class TestForbiddenHost:
    @pytest.mark.parametrize("uri", [
        "http://169.254.169.254/latest", "https://169.254.170.2/v2", "http://[fe80::1]/x", "http://127.0.0.1/x",
        "http://127.1.2.3:9000/x", "http://[::1]/x", "http://0.0.0.0/x", "http://[::]/x", "http://localhost/x",
        "http://LOCALHOST./x", "http://app.localhost/x", "http://metadata.google.internal/x",
        "http://metadata/x", "http://[fd00:ec2::254]/x", "http://100.100.100.200/x", "http://168.63.129.16/x",
        "http://2852039166/x", "http://0xa9fea9fe/x", "http://0251.0376.0251.0376/x", "http://169.254.43518/x",
        "http://[::ffff:169.254.169.254]/x", "ftp://169.254.169.254/x", "s3://169.254.169.254/x",
        "http://user:pw@169.254.169.254/x",
    ])
    def test_loopback_link_local_and_metadata_hosts(self, uri: str) -> None:
        assert forbidden_host(uri) is not None

    @pytest.mark.parametrize("uri", [
        "s3://bucket/x", "gs://bucket/x", "https://models.example.com/m", "http://10.0.0.5/m",
        "wasbs://c@acct.blob.core.windows.net/m", "hdfs://namenode:8020/m", "/local/path", "dbfs:/x",
        "http://deadbeef.example/x",
    ])
    def test_other_hosts(self, uri: str) -> None:
        assert forbidden_host(uri) is None


class TestLocalPaths:
    @pytest.mark.parametrize("uri", ["/etc", "rel/path", "file:///etc", "file:/etc", "file://localhost/etc",
                                     "C:\\models", "file://remote/x"])
    def test_local(self, uri: str) -> None:
        assert is_local(uri)

    @pytest.mark.parametrize("uri", ["s3://b/x", "mlflow-artifacts:/5", "runs:/r/m", "http://h/x"])
    def test_not_local(self, uri: str) -> None:
        assert not is_local(uri)

    def test_local_path_and_containment(self) -> None:
        assert local_path("file:///a/b%20c") == "/a/b c" and local_path("/a/b") == "/a/b"
        assert local_path("file://remote/x") is None
        assert path_within("/runs/1/artifacts/model", "/runs/1/artifacts")
        assert path_within("/runs/1/artifacts", "/runs/1/artifacts/")
        assert not path_within("/runs/1/artifactsX", "/runs/1/artifacts")
        assert not path_within("runs/1/artifacts/m", "runs/1/artifacts")


class TestParentReferences:
    def test_decoded_until_stable(self) -> None:
        from regista.server.storage.external import fully_decoded, has_parent_reference

        assert fully_decoded("a/%252e%252e/b") == "a/../b"
        assert has_parent_reference("a/%252e%252e/b")
        assert has_parent_reference("a\\..\\b")
        assert not has_parent_reference("a/..b/c")
