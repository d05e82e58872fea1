"""Helpers for the Unity Catalog tests: the unmodified mlflow client with registry URI `databricks-uc` acting as
a given token, catalogs and schemas made through the databricks-sdk, and a small signed model to log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client


@contextlib.contextmanager
def uc_client(monkeypatch: pytest.MonkeyPatch, url: str, token: str) -> Iterator[Any]:
    """An MlflowClient whose registry is `databricks-uc` on the server (DATABRICKS_HOST / DATABRICKS_TOKEN) and
    whose tracking is the same server with the same token; the fluent API points at both too."""
    import mlflow
    from mlflow import MlflowClient

    with monkeypatch.context() as m:
        m.setenv("DATABRICKS_HOST", url)
        m.setenv("DATABRICKS_TOKEN", token)
        m.setenv("MLFLOW_TRACKING_TOKEN", token)
        # The mlflow client asks the server which artifact path to use; never a cached answer.
        m.delenv("MLFLOW_USE_DATABRICKS_SDK_MODEL_ARTIFACTS_REPO_FOR_UC", raising=False)
        mlflow.set_tracking_uri(url)
        mlflow.set_registry_uri("databricks-uc")
        try:
            yield MlflowClient(tracking_uri=url, registry_uri="databricks-uc")
        finally:
            if mlflow.active_run():
                mlflow.end_run()
            mlflow.set_registry_uri(url)


def make_schema(url: str, catalog: str, schema: str, token: str = ADMIN_TOKEN) -> None:
    """A catalog (if new) and a schema in it, created through the databricks-sdk."""
    w = workspace_client(url, token)
    try:
        w.catalogs.get(catalog)
    except Exception:
        w.catalogs.create(name=catalog)
    w.schemas.create(name=schema, catalog_name=catalog)


def grant(url: str, securable_type: str, full_name: str, principal: str, *privileges: str,
          token: str = ADMIN_TOKEN) -> None:
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    w = workspace_client(url, token)
    w.grants.update(securable_type=securable_type, full_name=full_name,
                    changes=[PermissionsChange(principal=principal, add=[Privilege(p) for p in privileges])])


def train_iris() -> tuple[Any, Any, Any]:
    """A small fitted classifier, its training frame and its signature (inputs and outputs)."""
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    return model, X, infer_signature(X, model.predict(X))


def api(url: str, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)
