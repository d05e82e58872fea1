"""Helpers of the inference commands' tests: the model (y = a*x1 + b*x2 + c, coefficients per version), input
tables, and running `regista predict` / `regista notebook` in process or as a user does, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

# version -> (a, b, c)
COEFFICIENTS = {1: (2.0, 3.0, 1.0), 2: (-1.0, 0.5, 10.0)}


def expected(version: int, frame: pd.DataFrame) -> np.ndarray:
    a, b, c = COEFFICIENTS[version]
    return a * frame["x1"].to_numpy() + b * frame["x2"].to_numpy() + c


def log_version(name: str, version: int) -> None:
    """Log and register the next version of `name`: a real LinearRegression with an input signature (x1, x2)."""
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    train = table(50, start=0)[["x1", "x2"]]
    model = LinearRegression().fit(train, expected(version, train))
    with mlflow.start_run():
        # Fixed requirements: inferring them imports the model in a subprocess, seconds per call.
        mlflow.sklearn.log_model(model, name="model", registered_model_name=name, pip_requirements=["scikit-learn"],
                                 signature=infer_signature(train, model.predict(train)))


def table(rows: int, start: int = 0) -> pd.DataFrame:
    """An input table: an id that the model does not use, and its two features."""
    ids = np.arange(start, start + rows, dtype=np.int64)
    return pd.DataFrame({"id": ids, "x1": ids * 0.5, "x2": (ids % 7).astype(np.float64)})


def integer_table(rows: int) -> pd.DataFrame:
    """The same columns with integer features, as a CSV of whole numbers reads (the signature says double)."""
    ids = np.arange(rows, dtype=np.int64)
    return pd.DataFrame({"id": ids, "x1": ids * 2, "x2": ids % 7})


def invoke(*args: str, tracking_uri: str | None = None):
    """`regista <args>` in this process (the Spark session of the test session stays reachable)."""
    from regista.cli.main import app

    env = {"MLFLOW_TRACKING_URI": tracking_uri} if tracking_uri else {}
    return CliRunner().invoke(app, list(args), env=env)


def run(*args: str, tracking_uri: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`regista <args>` as a user runs it: a new process."""
    return run_with_env({}, *args, tracking_uri=tracking_uri, cwd=cwd)


def run_with_env(extra_env: dict[str, str], *args: str, tracking_uri: str | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN"):
        env.pop(key, None)
    env.update(extra_env)
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    return subprocess.run([sys.executable, "-m", "regista.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)
