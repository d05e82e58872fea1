"""`regista predict --engine spark` and `--stream`: the same registered model through mlflow's spark_udf on a
real local Spark session (one per test session, which the command finds active and reuses)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.cli.predict_helpers import expected, integer_table, invoke, table

# Spark scores on the client: the server's database changes nothing here, and each Spark run costs tens of
# seconds on 2 cores, so these run against the SQLite server only.
pytestmark = pytest.mark.backends("sqlite")


def read_back(spark, path) -> pd.DataFrame:
    """What Spark considers the output: for a stream, only the files its commit log lists."""
    return spark.read.parquet(str(path)).toPandas().sort_values("id").reset_index(drop=True)


class TestSparkBatch:
    def test_alias_scores_a_csv_of_integers(self, spark, scoring_model, tmp_path) -> None:
        # Whole numbers read as integers; the signature's double columns take them.
        source = integer_table(300)
        source.to_csv(tmp_path / "in.csv", index=False)
        result = invoke("predict", "--engine", "spark", "--model", f"models:/{scoring_model.name}@champion",
                        "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out"),
                        tracking_uri=scoring_model.url)
        assert result.exit_code == 0, result.stderr
        assert "is version 2" in result.stderr and "scored 300 rows on Spark" in result.stderr
        (written,) = (tmp_path / "out").iterdir()
        assert written.name.startswith("predictions-") and result.stdout.strip() == str(written)
        scored = read_back(spark, written)
        assert scored["id"].tolist() == source["id"].tolist()
        assert scored["prediction"].to_numpy() == pytest.approx(expected(2, source))
        # The session belongs to the caller: the command left it running.
        assert spark.range(3).count() == 3


class TestStreaming:
    def test_two_batches_of_files_with_a_restart_between_score_every_row_once(
        self, spark, scoring_model, tmp_path
    ) -> None:
        incoming, out = tmp_path / "incoming", tmp_path / "out"
        incoming.mkdir()
        args = ("predict", "--stream", "--engine", "spark", "--once", "--model",
                f"models:/{scoring_model.name}/Production", "--input-dir", str(incoming), "--output", str(out))
        first, second = table(100, start=0), table(150, start=100)
        first.iloc[:60].to_parquet(incoming / "part-a.parquet")
        first.iloc[60:].to_parquet(incoming / "part-b.parquet")

        run1 = invoke(*args, tracking_uri=scoring_model.url)
        assert run1.exit_code == 0, run1.stderr
        assert "scored 100 new rows" in run1.stderr
        assert read_back(spark, out / "predictions")["id"].tolist() == first["id"].tolist()

        # More files arrive while the command is not running; the restart picks up only those.
        second.iloc[:75].to_parquet(incoming / "part-c.parquet")
        second.iloc[75:].to_parquet(incoming / "part-d.parquet")
        run2 = invoke(*args, tracking_uri=scoring_model.url)
        assert run2.exit_code == 0, run2.stderr
        assert "scored 150 new rows" in run2.stderr

        everything = pd.concat([first, second], ignore_index=True)
        scored = read_back(spark, out / "predictions")
        assert scored["id"].tolist() == everything["id"].tolist()  # each row once, none missing
        assert scored["prediction"].to_numpy() == pytest.approx(expected(1, everything))
        assert (out / "_checkpoint").is_dir()

    def test_a_stream_stopped_by_its_timeout_continues_without_loss_or_repeat(
        self, spark, scoring_model, tmp_path
    ) -> None:
        incoming, out = tmp_path / "incoming", tmp_path / "out"
        incoming.mkdir()
        source = table(120)
        for i in range(4):
            source.iloc[i * 30:(i + 1) * 30].to_parquet(incoming / f"part-{i}.parquet")
        common = ("predict", "--stream", "--engine", "spark", "--model", f"models:/{scoring_model.name}@champion",
                  "--input-dir", str(incoming), "--output", str(out))
        # A continuous stream stopped after one second: wherever that lands (before, inside or after a
        # micro-batch), what it committed is kept and the rest is left for the next run.
        stopped = invoke(*common, "--timeout", "1", tracking_uri=scoring_model.url)
        assert stopped.exit_code == 0, stopped.stderr
        resumed = invoke(*common, "--once", tracking_uri=scoring_model.url)
        assert resumed.exit_code == 0, resumed.stderr
        scored = read_back(spark, out / "predictions")
        assert scored["id"].tolist() == source["id"].tolist()
        assert scored["prediction"].to_numpy() == pytest.approx(expected(2, source))
