"""`regista notebook`: the generated .ipynb is valid nbformat v4, the .py holds the same code, and the
generated script really runs against the live server, resolving the alias when it runs (it follows a move)."""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from tests.cli.predict_helpers import expected, log_version, run, table


def code_cells(ipynb_path) -> list[str]:
    notebook = nbformat.read(ipynb_path, as_version=4)
    nbformat.validate(notebook)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def run_script(path, tracking_uri: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": tracking_uri,
                               "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"})


class TestBatchNotebook:
    def test_the_script_scores_a_table_and_follows_the_alias(self, scoring_model, mlflow_client, unique,
                                                             tmp_path) -> None:
        name = f"nb-{unique}"
        log_version(name, 1)
        log_version(name, 2)
        mlflow_client.set_registered_model_alias(name, "champion", "2")
        source = table(25)
        source.to_csv(tmp_path / "data.csv", index=False)

        made = run("notebook", "--model", f"models:/{name}@champion", "--mode", "batch", "--output",
                   str(tmp_path / "nb" / "score.ipynb"), "--input", str(tmp_path / "data.csv"), "--output-dir",
                   str(tmp_path / "out"), tracking_uri=scoring_model.url)
        assert made.returncode == 0, made.stderr
        ipynb, script = tmp_path / "nb" / "score.ipynb", tmp_path / "nb" / "score.py"
        assert made.stdout.split() == [str(ipynb), str(script)]
        assert "is version 2 now" in made.stderr
        cells = code_cells(ipynb)
        assert all(cell.strip() in script.read_text() for cell in cells)

        first = run_script(script, scoring_model.url, tmp_path)
        assert first.returncode == 0, first.stderr
        assert f"models:/{name}@champion is version 2" in first.stdout
        # The alias moves after the notebook was generated: the next run scores with the new version.
        mlflow_client.set_registered_model_alias(name, "champion", "1")
        second = run_script(script, scoring_model.url, tmp_path)
        assert second.returncode == 0, second.stderr
        assert f"models:/{name}@champion is version 1" in second.stdout

        written = sorted((tmp_path / "out").iterdir())
        assert len(written) == 2
        by_version = [pd.read_parquet(p) for p in written]
        assert by_version[0]["id"].tolist() == source["id"].tolist()
        assert by_version[0]["prediction"].to_numpy() == pytest.approx(expected(2, source))
        assert by_version[1]["prediction"].to_numpy() == pytest.approx(expected(1, source))

    def test_a_stage_is_resolved_in_the_notebook(self, scoring_model, tmp_path) -> None:
        made = run("notebook", "--model", f"models:/{scoring_model.name}/Production", "--output",
                   str(tmp_path / "score"), tracking_uri=scoring_model.url)
        assert made.returncode == 0, made.stderr
        assert "is version 1 now" in made.stderr
        (resolve,) = [c for c in code_cells(tmp_path / "score.ipynb") if "get_latest_versions" in c]
        assert "stages=['Production']" in resolve


class TestStreamingNotebook:
    @pytest.mark.backends("sqlite")  # Spark runs on the client; one backend is enough (see test_predict_spark)
    def test_the_script_streams_a_folder_on_spark(self, spark, scoring_model, tmp_path, monkeypatch) -> None:
        incoming = tmp_path / "incoming"
        incoming.mkdir()
        source = table(40)
        source.to_parquet(incoming / "part-0.parquet")
        made = run("notebook", "--model", f"models:/{scoring_model.name}@champion", "--mode", "streaming",
                   "--output", str(tmp_path / "stream"), "--input", str(incoming), "--output-dir",
                   str(tmp_path / "out"), tracking_uri=scoring_model.url)
        assert made.returncode == 0, made.stderr
        assert len(code_cells(tmp_path / "stream.ipynb")) == 4
        # Run the generated script in this process: its getOrCreate() finds the test session's Spark (a second
        # JVM would cost a minute), as it would find a cluster notebook's.
        monkeypatch.setenv("MLFLOW_TRACKING_URI", scoring_model.url)
        runpy.run_path(str(tmp_path / "stream.py"), run_name="__main__")
        scored = spark.read.parquet(str(tmp_path / "out" / "predictions")).toPandas().sort_values("id")
        assert scored["id"].tolist() == source["id"].tolist()
        assert scored["prediction"].to_numpy() == pytest.approx(expected(2, source))


class TestGeneration:
    def test_values_are_python_literals_and_no_credentials_are_written(self, scoring_model, tmp_path) -> None:
        from regista.inference.notebook import build_notebook

        tricky = 'data "quoted" \\ \n"""path.parquet'
        built = build_notebook('models:/a "b"\n"""@champion', "batch", "http://alice:s3cret@host:5000/",
                               input_path=tricky)
        script = built.script()
        ast.parse(script)  # still valid Python
        assert "s3cret" not in script and "alice" not in script
        assert "'http://host:5000/'" in script
        assert f"INPUT_PATH = {tricky!r}" in script
        nbformat.validate(nbformat.reads(built.ipynb(), as_version=4))
        assert json.loads(built.ipynb())["nbformat"] == 4

    def test_an_existing_notebook_is_kept_without_overwrite(self, scoring_model, tmp_path) -> None:
        (tmp_path / "score.ipynb").write_text("mine")
        made = run("notebook", "--model", f"models:/{scoring_model.name}@champion", "--output",
                   str(tmp_path / "score.ipynb"), tracking_uri=scoring_model.url)
        assert made.returncode == 1 and "already exist" in made.stderr
        assert (tmp_path / "score.ipynb").read_text() == "mine"
        again = run("notebook", "--model", f"models:/{scoring_model.name}@champion", "--output",
                    str(tmp_path / "score.ipynb"), "--overwrite", tracking_uri=scoring_model.url)
        assert again.returncode == 0, again.stderr
        code_cells(tmp_path / "score.ipynb")

    @pytest.mark.parametrize(("args", "message"), [
        (("--model", "models:/{name}@nobody"), "has no alias @nobody"),
        (("--model", "models:/{name}@champion", "--mode", "realtime"), "unknown mode 'realtime'"),
        (("--model", "{name}"), "is not a registered model URI"),
    ])
    def test_mistakes_are_one_line_and_write_nothing(self, scoring_model, tmp_path, args, message) -> None:
        made = run("notebook", *[a.format(name=scoring_model.name) for a in args], tracking_uri=scoring_model.url,
                   cwd=tmp_path)
        assert made.returncode == 1
        assert made.stderr.startswith("error: ") and message in made.stderr and "Traceback" not in made.stderr
        assert list(tmp_path.iterdir()) == []
