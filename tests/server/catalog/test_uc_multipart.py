"""Multipart uploads of Unity Catalog version files (the databricks-sdk's path for files of 50 MB and more),
on both databases: a model with a 55 MB file logged and registered with the unmodified mlflow client
(databricks-uc) and downloaded back byte for byte; the protocol's rules as other principals and with forged
or broken input: only the session's principal asks for part URLs or completes it, a forged token reaches
nothing, a gap or a wrong etag is a 400 that writes no file, an abort removes the parts."""

from __future__ import annotations

import hashlib
import os

import httpx
import mlflow
import pytest

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error
from tests.server.catalog.catalog_helpers import api, grant, make_schema, uc_client

UC = "/api/2.0/mlflow/unity-catalog"
FS = "/api/2.0/fs"
BIG = 55 * 1024 * 1024


class Blob(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


def test_a_model_with_a_55_mb_file_round_trips(auth_server, monkeypatch, unique, tmp_path) -> None:
    catalog = f"mp_{unique}"
    make_schema(auth_server.url, catalog, "s")
    blob = tmp_path / "weights.bin"
    blob.write_bytes(os.urandom(BIG))
    digest = hashlib.sha256(blob.read_bytes()).hexdigest()
    import pandas as pd
    from mlflow.models import infer_signature

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    with uc_client(monkeypatch, auth_server.url, ADMIN_TOKEN):
        with mlflow.start_run():
            mlflow.pyfunc.log_model(name="model", pip_requirements=["mlflow"], python_model=Blob(), artifacts={"weights": str(blob)},
                                    signature=infer_signature(frame, frame),
                                    registered_model_name=f"{catalog}.s.m")
        local = mlflow.artifacts.download_artifacts(f"models:/{catalog}.s.m/1", dst_path=str(tmp_path / "back"))
    [found] = [os.path.join(d, f) for d, _, files in os.walk(local) for f in files if f == "weights.bin"]
    with open(found, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == digest


@pytest.fixture
def pending(auth_server, unique):
    """(full name, Files API path of a file in its PENDING version 1), owned by the admin."""
    catalog = f"mp_{unique}"
    make_schema(auth_server.url, catalog, "s")
    full = f"{catalog}.s.m"
    assert api(auth_server.url, ADMIN_TOKEN, "POST", UC + "/registered-models/create",
               json={"name": full}).status_code == 200
    r = api(auth_server.url, ADMIN_TOKEN, "POST", UC + "/model-versions/create", json={"name": full, "source": "s3://b"})
    assert r.status_code == 200, r.text
    return full, f"/Models/{catalog}/s/m/1/big.bin"


def start(url: str, token: str, path: str) -> httpx.Response:
    return api(url, token, "POST", f"{FS}/files{path}", params={"action": "initiate-upload", "overwrite": "true"})


def part_urls(url: str, token: str, path: str, session: str, count: int = 2) -> httpx.Response:
    return api(url, token, "POST", f"{FS}/create-upload-part-urls",
               json={"path": path, "session_token": session, "start_part_number": 1, "count": count})


def complete(url: str, token: str, path: str, session: str, parts: list[dict]) -> httpx.Response:
    return api(url, token, "POST", f"{FS}/files{path}",
               params={"action": "complete-upload", "upload_type": "multipart", "session_token": session},
               json={"parts": parts})


MLMODEL = (
    "flavors:\n  python_function: {}\nsignature:\n"
    "  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n  outputs: '[{\"type\": \"double\"}]'\n"
)


def uploads_dir(server):
    return server.data_dir / "artifacts" / "_catalog" / "_uploads"


def read_back(url: str, pending: tuple[str, str]) -> bytes:
    """The uploaded file as a reader gets it: the version is given an MLmodel and finalized, then read."""
    full, path = pending
    mlmodel = path.rsplit("/", 1)[0] + "/MLmodel"
    assert api(url, ADMIN_TOKEN, "PUT", f"{FS}/files{mlmodel}", content=MLMODEL.encode()).status_code == 204
    r = api(url, ADMIN_TOKEN, "POST", UC + "/model-versions/finalize", json={"name": full, "version": "1"})
    assert r.json()["model_version"]["status"] == "READY", r.text
    r = api(url, ADMIN_TOKEN, "GET", f"{FS}/files{path}")
    assert r.status_code == 200, r.text
    return r.content


class TestProtocol:
    def test_parts_are_joined_in_order_and_checked(self, auth_server, pending) -> None:
        url, (_, path) = auth_server.url, pending
        session = start(url, ADMIN_TOKEN, path).json()["multipart_upload"]["session_token"]
        urls = part_urls(url, ADMIN_TOKEN, path, session).json()["upload_part_urls"]
        assert [u["part_number"] for u in urls] == [1, 2]
        # Part URLs take no credentials (as presigned URLs); the second part arrives first.
        second = httpx.put(urls[1]["url"], content=b"world")
        first = httpx.put(urls[0]["url"], content=b"hello ")
        assert first.status_code == second.status_code == 200
        etags = {1: first.headers["ETag"], 2: second.headers["ETag"]}
        # A gap, or an etag that is not the part's, is refused and writes nothing.
        assert_error(complete(url, ADMIN_TOKEN, path, session, [{"part_number": 2, "etag": etags[2]}]), 400,
                     "INVALID_PARAMETER_VALUE")
        assert_error(complete(url, ADMIN_TOKEN, path, session, [{"part_number": 1, "etag": etags[2]},
                                                                {"part_number": 2, "etag": etags[2]}]), 400,
                     "INVALID_PARAMETER_VALUE")
        done = complete(url, ADMIN_TOKEN, path, session, [{"part_number": n, "etag": e} for n, e in etags.items()])
        assert done.status_code == 200, done.text
        # The session is gone: its token opens nothing any more.
        assert httpx.put(urls[0]["url"], content=b"late").status_code == 404
        assert not (uploads_dir(auth_server) / session).exists()
        assert read_back(url, pending) == b"hello world"

    def test_other_principals_and_forged_tokens_reach_nothing(self, auth_server, identities, pending) -> None:
        url, (full, path) = auth_server.url, pending
        session = start(url, ADMIN_TOKEN, path).json()["multipart_upload"]["session_token"]
        reader = identities.user()
        grant(url, "catalog", full.split(".")[0], reader.name, "USE_CATALOG")
        grant(url, "schema", full.rsplit(".", 1)[0], reader.name, "USE_SCHEMA", "EXECUTE")
        # A reader may not upload: no session of their own, no part URLs or completion of the admin's.
        assert_error(start(url, reader.token, path), 403, "PERMISSION_DENIED")
        assert_error(part_urls(url, reader.token, path, session), 403, "PERMISSION_DENIED")
        assert_error(complete(url, reader.token, path, session, [{"part_number": 1, "etag": "x"}]), 403,
                     "PERMISSION_DENIED")
        # A token of another shape never becomes a path; a well-formed unknown one finds no session.
        base = url + FS + "/upload-parts"
        for forged in ("..%2F..%2Fsession.json", "x" * 43, "a.b"):
            assert httpx.put(f"{base}/{forged}/1", content=b"x").status_code == 404
        assert httpx.put(f"{base}/{session}/0", content=b"x").status_code == 400  # part numbers start at 1
        assert httpx.put(f"{base}/{session}/10001", content=b"x").status_code == 400
        assert_error(part_urls(url, ADMIN_TOKEN, path, session, count=1001), 400, "INVALID_PARAMETER_VALUE")

    def test_abort_removes_the_parts(self, auth_server, pending) -> None:
        url, (_, path) = auth_server.url, pending
        session = start(url, ADMIN_TOKEN, path).json()["multipart_upload"]["session_token"]
        [part] = part_urls(url, ADMIN_TOKEN, path, session, count=1).json()["upload_part_urls"]
        assert httpx.put(part["url"], content=b"abc").status_code == 200
        abort = api(url, ADMIN_TOKEN, "POST", f"{FS}/create-abort-upload-url",
                    json={"path": path, "session_token": session}).json()["abort_upload_url"]
        assert httpx.delete(abort["url"]).status_code == 200
        assert not (uploads_dir(auth_server) / session).exists()
        assert_error(complete(url, ADMIN_TOKEN, path, session, [{"part_number": 1, "etag": "x"}]), 404,
                     "RESOURCE_DOES_NOT_EXIST")

    def test_the_sdk_uploads_a_large_file(self, auth_server, pending) -> None:
        import io

        path = pending[1]
        data = os.urandom(51 * 1024 * 1024)
        w = workspace_client(auth_server.url, ADMIN_TOKEN)
        w.files.upload(path, io.BytesIO(data), overwrite=True)
        assert hashlib.sha256(read_back(auth_server.url, pending)).digest() == hashlib.sha256(data).digest()
