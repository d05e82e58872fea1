"""`regista predict --env-manager uv`: the model is scored in an environment built from its own requirements
(by the builder serving uses, cached in --env-root), with the local engine's code, and the predictions are the
same as the local engine's; Spark with an environment manager is refused in one line."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest

from regista.environments.builder import MARKER
from tests.cli.predict_helpers import expected, run, table


@pytest.fixture(scope="session")
def env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for both backends' tests: the same requirements make the same environment, built once."""
    return tmp_path_factory.getbasetemp().parent / "predict-envs"


def _log_pinned_model(url: str) -> str:
    """A registered LinearRegression whose requirements pin this interpreter's versions (fixed, not inferred)."""
    import mlflow
    import numpy as np
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    name = f"env-scoring-{uuid.uuid4().hex[:8]}"
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    train = table(50)[["x1", "x2"]]
    model = LinearRegression().fit(train, expected(1, train))
    requirements = [f"mlflow=={mlflow.__version__}", f"scikit-learn=={sklearn.__version__}",
                    f"numpy=={np.__version__}", f"pandas=={pd.__version__}"]
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name=name, pip_requirements=requirements,
                                 signature=infer_signature(train, model.predict(train)))
    return name


def test_uv_scores_in_the_models_environment_as_the_local_engine_does(live_server, env_root, tmp_path):
    name = _log_pinned_model(live_server.url)
    source = tmp_path / "in.parquet"
    frame = table(1000)
    frame.to_parquet(source)

    local = run("predict", "--model", f"models:/{name}/1", "--input", str(source), "--output",
                str(tmp_path / "local"), "--chunk-size", "300", tracking_uri=live_server.url)
    assert local.returncode == 0, local.stderr
    in_env = run("predict", "--model", f"models:/{name}/1", "--input", str(source), "--output",
                 str(tmp_path / "env"), "--chunk-size", "300", "--env-manager", "uv", "--env-root", str(env_root),
                 tracking_uri=live_server.url)
    assert in_env.returncode == 0, in_env.stderr

    # Built (or, for the second backend's test, found) under --env-root, and the scoring ran its interpreter.
    envs = [p for p in env_root.iterdir() if (p / MARKER).is_file()]
    assert len(envs) == 1
    python = str(envs[0] / "bin" / "python")
    assert f"scored 1000 rows in 4 chunk(s) with models:/{name}/1 in the model's environment ({python})" \
        in in_env.stderr
    assert "environment " in in_env.stderr and ("building with uv" in in_env.stderr or "cached" in in_env.stderr)
    ours = pd.read_parquet(in_env.stdout.strip())
    pd.testing.assert_frame_equal(ours, pd.read_parquet(local.stdout.strip()))
    assert list(ours.columns) == ["id", "x1", "x2", "prediction"]
    assert ours["prediction"].to_numpy() == pytest.approx(expected(1, frame))
    # The environment has the model's libraries of its own (and no regista: the scorer gets it on its path).
    site = envs[0] / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    assert (site / "sklearn").is_dir() and (site / "mlflow").is_dir() and not (site / "regista").exists()


def test_spark_with_an_environment_manager_is_refused_in_one_line(tmp_path):
    source = tmp_path / "in.parquet"
    table(5).to_parquet(source)
    proc = run("predict", "--model", "models:/m/1", "--input", str(source), "--output", str(tmp_path / "out"),
               "--engine", "spark", "--env-manager", "uv", tracking_uri="http://127.0.0.1:9")
    assert proc.returncode == 1
    assert proc.stderr == ("error: --env-manager uv runs the local engine only (Spark scores in its own Python): "
                           "drop --engine spark, or use --env-manager local\n")
    assert not (tmp_path / "out").exists()


def test_an_unknown_environment_manager_is_refused(tmp_path):
    source = tmp_path / "in.parquet"
    table(5).to_parquet(source)
    proc = run("predict", "--model", "models:/m/1", "--input", str(source), "--output", str(tmp_path / "out"),
               "--env-manager", "conda", tracking_uri="http://127.0.0.1:9")
    assert proc.returncode == 1
    assert "unknown environment manager 'conda': use local, virtualenv, uv" in proc.stderr
