"""The mlflow client as the client-side commands use it (imported lazily, from the `predict` extra): pointed at
a tracking server, resolving a model reference, loading a model; failures worded for the user."""

from __future__ import annotations

from typing import Any

from regista.inference.errors import InferenceError


def connect(tracking_uri: str | None) -> Any:
    """mlflow, pointed at the tracking server (the registry too)."""
    if not tracking_uri:
        raise InferenceError("no tracking server: pass --tracking-uri or set MLFLOW_TRACKING_URI")
    try:
        import mlflow
    except ImportError:
        raise InferenceError("this command needs mlflow: pip install 'regista[predict]'") from None
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return mlflow


def available() -> bool:
    """Whether mlflow can be imported here."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(mlflow: Any, ref: Any) -> Any:
    from regista.inference.model_uri import resolve as resolve_reference

    return resolve_reference(mlflow.MlflowClient(), ref)


def load(mlflow: Any, uri: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as err:
        raise InferenceError(f"cannot load {uri}: {getattr(err, 'message', err)}") from None
