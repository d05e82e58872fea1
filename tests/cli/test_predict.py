"""`regista predict` with the local engine: a real sklearn model from the live server's registry, resolved by
alias, stage or version, scores real Parquet and CSV files into timestamped or overwritten Parquet files;
mistakes are one clear line and leave no output behind."""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest

from tests.cli.predict_helpers import expected, integer_table, invoke, run, run_with_env, table

TIMESTAMPED = re.compile(r"predictions-\d{8}T\d{6}\.\d{3}Z\.parquet")


def outputs(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class TestScoring:
    def test_alias_scores_a_parquet_table_into_a_timestamped_file(self, scoring_model, tmp_path) -> None:
        source = table(2500)
        source.to_parquet(tmp_path / "in.parquet")
        # As a user runs it: a new process, the server from MLFLOW_TRACKING_URI.
        done = run("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                   str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"), "--chunk-size", "1000",
                   tracking_uri=scoring_model.url)
        assert done.returncode == 0, done.stderr
        (name,) = outputs(tmp_path / "out")
        assert TIMESTAMPED.fullmatch(name)
        assert done.stdout.strip() == str(tmp_path / "out" / name)
        assert "is version 2" in done.stderr and "scored 2500 rows in 3 chunk(s)" in done.stderr
        scored = pd.read_parquet(tmp_path / "out" / name)
        assert list(scored.columns) == ["id", "x1", "x2", "prediction"]
        assert scored["id"].tolist() == source["id"].tolist()
        assert scored["prediction"].to_numpy() == pytest.approx(expected(2, source))

    def test_stage_scores_a_csv_table(self, scoring_model, tmp_path) -> None:
        source = table(40)
        source.to_csv(tmp_path / "in.csv", index=False)
        result = invoke("predict", "--model", f"models:/{scoring_model.name}/production", "--input",
                        str(tmp_path / "in.csv"), "--output", str(tmp_path / "out"),
                        tracking_uri=scoring_model.url)
        assert result.exit_code == 0, result.stderr
        scored = pd.read_parquet(result.stdout.strip())
        assert "is version 1" in result.stderr
        assert scored["prediction"].to_numpy() == pytest.approx(expected(1, source))

    def test_integer_csv_columns_feed_a_double_signature(self, scoring_model, tmp_path) -> None:
        source = integer_table(30)
        source.to_csv(tmp_path / "in.csv", index=False)
        result = invoke("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                        str(tmp_path / "in.csv"), "--output", str(tmp_path / "out"), tracking_uri=scoring_model.url)
        assert result.exit_code == 0, result.stderr
        scored = pd.read_parquet(result.stdout.strip())
        assert scored["x1"].dtype == "int64"  # the output keeps the input's own types
        assert scored["prediction"].to_numpy() == pytest.approx(expected(2, source))

    def test_version_number_and_tracking_uri_option(self, scoring_model, tmp_path) -> None:
        source = table(10)
        source.to_parquet(tmp_path / "in.parquet")
        result = invoke("predict", "--model", f"models:/{scoring_model.name}/2", "--input",
                        str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"),
                        "--tracking-uri", scoring_model.url)
        assert result.exit_code == 0, result.stderr
        assert pd.read_parquet(result.stdout.strip())["prediction"].to_numpy() == pytest.approx(expected(2, source))


class TestOutputFiles:
    def test_runs_without_overwrite_add_files_and_keep_the_old_ones(self, scoring_model, tmp_path) -> None:
        table(5).to_parquet(tmp_path / "in.parquet")
        args = ("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"))
        first = invoke(*args, tracking_uri=scoring_model.url)
        time.sleep(0.01)  # the file name has millisecond resolution
        second = invoke(*args, tracking_uri=scoring_model.url)
        assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
        names = outputs(tmp_path / "out")
        assert len(names) == 2 and all(TIMESTAMPED.fullmatch(n) for n in names)

    def test_overwrite_replaces_predictions_parquet(self, scoring_model, tmp_path) -> None:
        source = table(8)
        source.to_parquet(tmp_path / "in.parquet")
        for version in ("1", "2"):
            result = invoke("predict", "--model", f"models:/{scoring_model.name}/{version}", "--input",
                            str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"), "--overwrite",
                            tracking_uri=scoring_model.url)
            assert result.exit_code == 0, result.stderr
        assert outputs(tmp_path / "out") == ["predictions.parquet"]
        scored = pd.read_parquet(tmp_path / "out" / "predictions.parquet")
        assert scored["prediction"].to_numpy() == pytest.approx(expected(2, source))


class TestMistakes:
    """Each mistake exits 1 with one `error:` line naming it, no traceback, and writes nothing."""

    @pytest.mark.parametrize(("model", "message"), [
        ("models:/{name}-absent@champion", "no registered model named '{name}-absent'"),
        ("models:/{name}@nobody", "registered model '{name}' has no alias @nobody"),
        ("models:/{name}/99", "registered model '{name}' has no version 99"),
        ("models:/{name}/Staging", "registered model '{name}' has no version in stage Staging"),
        ("models:/{name}/gold", "'gold' is neither a version number, a stage"),
        ("runs:/abc/model", "is not a registered model URI"),
    ])
    def test_model_reference(self, scoring_model, tmp_path, model, message) -> None:
        table(3).to_parquet(tmp_path / "in.parquet")
        result = invoke("predict", "--model", model.format(name=scoring_model.name), "--input",
                        str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"),
                        tracking_uri=scoring_model.url)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ") and message.format(name=scoring_model.name) in result.stderr
        assert outputs(tmp_path / "out") == []

    def test_missing_input_file(self, scoring_model, tmp_path) -> None:
        result = invoke("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                        str(tmp_path / "nope.parquet"), "--output", str(tmp_path / "out"),
                        tracking_uri=scoring_model.url)
        assert result.exit_code == 1 and "does not exist" in result.stderr

    def test_unknown_extension(self, scoring_model, tmp_path) -> None:
        (tmp_path / "in.json").write_text("[]")
        result = invoke("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                        str(tmp_path / "in.json"), "--output", str(tmp_path / "out"),
                        tracking_uri=scoring_model.url)
        assert result.exit_code == 1 and "cannot tell the format" in result.stderr

    def test_a_file_that_is_not_parquet_as_a_user_sees_it(self, scoring_model, tmp_path) -> None:
        (tmp_path / "in.parquet").write_text("id,x1,x2\n1,2,3\n")
        done = run("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                   str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"), tracking_uri=scoring_model.url)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert re.search(r"^error: cannot read '.*in\.parquet' as PARQUET", done.stderr, re.M), done.stderr
        assert outputs(tmp_path / "out") == []

    def test_columns_the_model_does_not_know(self, scoring_model, tmp_path) -> None:
        pd.DataFrame({"a": [1.0], "b": [2.0]}).to_parquet(tmp_path / "in.parquet")
        result = invoke("predict", "--model", f"models:/{scoring_model.name}@champion", "--input",
                        str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"),
                        tracking_uri=scoring_model.url)
        assert result.exit_code == 1
        assert "the model refused the input" in result.stderr and "x1" in result.stderr
        assert outputs(tmp_path / "out") == []

    def test_no_tracking_server(self, tmp_path) -> None:
        table(3).to_parquet(tmp_path / "in.parquet")
        done = run("predict", "--model", "models:/m@champion", "--input", str(tmp_path / "in.parquet"),
                   "--output", str(tmp_path / "out"))
        assert done.returncode == 1
        assert "no tracking server: pass --tracking-uri or set MLFLOW_TRACKING_URI" in done.stderr

    def test_a_missing_input_folder_is_one_line(self, scoring_model, tmp_path) -> None:
        result = invoke("predict", "--stream", "--engine", "spark", "--once", "--model",
                        f"models:/{scoring_model.name}@champion", "--input-dir", str(tmp_path / "nope"),
                        "--output", str(tmp_path / "out"), tracking_uri=scoring_model.url)
        assert result.exit_code == 1
        assert result.stderr.strip() == f"error: input folder '{tmp_path / 'nope'}' does not exist"

    def test_stream_needs_spark(self, tmp_path) -> None:
        result = invoke("predict", "--model", "models:/m@champion", "--stream", "--input-dir", str(tmp_path),
                        "--output", str(tmp_path / "out"), tracking_uri="http://127.0.0.1:9")
        assert result.exit_code == 1 and "--stream runs on Spark: add --engine spark" in result.stderr


class TestPermissions:
    """The server decides what a caller may score: the token in MLFLOW_TRACKING_TOKEN is the caller."""

    def test_a_second_principal_needs_read_on_the_model(self, auth_server, identities, as_caller, unique,
                                                        tmp_path) -> None:
        from tests.cli.predict_helpers import log_version
        from tests.fixtures.identities import ADMIN_TOKEN
        from tests.server.registry.registry_permission_helpers import admin_api, model_id

        name = f"guarded-{unique}"
        as_caller(ADMIN_TOKEN)
        log_version(name, 1)
        source = table(6)
        source.to_parquet(tmp_path / "in.parquet")
        reader = identities.user()

        def predict_as(token: str | None):
            env = {"MLFLOW_TRACKING_TOKEN": token} if token else {}
            return run_with_env(env, "predict", "--model", f"models:/{name}/1", "--input",
                                str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"),
                                tracking_uri=auth_server.url)

        anonymous = predict_as(None)
        assert anonymous.returncode == 1 and "Traceback" not in anonymous.stderr
        assert "refused the credentials (set MLFLOW_TRACKING_TOKEN)" in anonymous.stderr
        denied = predict_as(reader.token)
        assert denied.returncode == 1 and "Traceback" not in denied.stderr
        assert "permission denied" in denied.stderr.lower()
        assert outputs(tmp_path / "out") == []

        identities.grant("registered-models", model_id(admin_api(auth_server.url), name), reader, "CAN_READ")
        allowed = predict_as(reader.token)
        assert allowed.returncode == 0, allowed.stderr
        assert pd.read_parquet(allowed.stdout.strip())["prediction"].to_numpy() == pytest.approx(expected(1, source))
