"""Where batch predictions go and how a model's output becomes columns."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from regista.inference.batch import detect_format, output_path, prediction_columns
from regista.inference.errors import InferenceError
from regista.inference.notebook import public_tracking_uri

MOMENT = datetime(2026, 11, 28, 7, 45, 12, 123456, tzinfo=UTC)


class TestOutputPath:
    def test_timestamped_in_utc_to_the_millisecond(self, tmp_path) -> None:
        path = output_path(tmp_path / "out", overwrite=False, now=MOMENT)
        assert path == tmp_path / "out" / "predictions-20261128T074512.123Z.parquet"
        assert (tmp_path / "out").is_dir()

    def test_an_existing_timestamped_file_is_refused(self, tmp_path) -> None:
        output_path(tmp_path, overwrite=False, now=MOMENT).write_bytes(b"old")
        with pytest.raises(InferenceError, match="already exists"):
            output_path(tmp_path, overwrite=False, now=MOMENT)

    def test_overwrite_names_one_fixed_file(self, tmp_path) -> None:
        assert output_path(tmp_path, overwrite=True) == tmp_path / "predictions.parquet"

    def test_an_output_that_is_a_file_is_refused(self, tmp_path) -> None:
        (tmp_path / "f").write_text("x")
        with pytest.raises(InferenceError, match="is not a directory"):
            output_path(tmp_path / "f", overwrite=False)


class TestPredictionColumns:
    def test_a_vector_is_one_column(self) -> None:
        ((name, values),) = prediction_columns(np.array([1.0, 2.0]), 2)
        assert name == "prediction" and values.tolist() == [1.0, 2.0]

    def test_a_matrix_is_one_column_per_output(self) -> None:
        columns = prediction_columns(np.array([[1, 2], [3, 4]]), 2)
        assert [(n, v.tolist()) for n, v in columns] == [("prediction_0", [1, 3]), ("prediction_1", [2, 4])]

    def test_a_dataframe_keeps_its_column_names(self) -> None:
        columns = prediction_columns(pd.DataFrame({"label": ["a", "b"], "score": [0.1, 0.9]}), 2)
        assert [n for n, _ in columns] == ["prediction_label", "prediction_score"]

    def test_a_row_count_mismatch_is_an_error(self) -> None:
        with pytest.raises(InferenceError, match="for 3 rows"):
            prediction_columns(np.array([1.0]), 3)


def test_format_from_the_name_or_given(tmp_path) -> None:
    assert detect_format(tmp_path / "a.PARQUET") == "parquet"
    assert detect_format(tmp_path / "a.csv") == "csv"
    assert detect_format(tmp_path / "a.txt", "csv") == "csv"
    with pytest.raises(InferenceError, match="unknown input format 'json'"):
        detect_format(tmp_path / "a.json", "json")


def test_notebooks_never_carry_credentials_of_the_tracking_uri() -> None:
    assert public_tracking_uri("https://bob:pw@regista.example:8443/x?y=1") == "https://regista.example:8443/x?y=1"
    assert public_tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
