"""Batch scoring on this machine: read a Parquet or CSV table in chunks, score each with `mlflow.pyfunc`, write
Parquet (the input columns and the predictions) to a file that appears whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from regista.inference.errors import InferenceError

Format = Literal["parquet", "csv"]
FORMATS: dict[str, Format] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
PREDICTION = "prediction"


def detect_format(path: Path, given: str | None = None) -> Format:
    """The table format: given explicitly, else from the file name (`.parquet`, `.pq`, `.csv`)."""
    if given is not None:
        if given not in ("parquet", "csv"):
            raise InferenceError(f"unknown input format {given!r}: use parquet or csv")
        return "parquet" if given == "parquet" else "csv"
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InferenceError(
            f"cannot tell the format of {str(path)!r} from its name: use a .parquet or .csv file, "
            "or pass --format parquet|csv"
        )
    return fmt


def output_path(out_dir: Path, overwrite: bool, now: datetime | None = None, suffix: str = ".parquet") -> Path:
    """`DIR/predictions.parquet` with overwrite, else `DIR/predictions-<UTC timestamp>.parquet` (milliseconds, so
    two runs a second apart never collide). Creates DIR; refuses a file that exists unless overwriting."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InferenceError(f"output {str(out_dir)!r} exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    if overwrite:
        return out_dir / f"predictions{suffix}"
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S") + f".{moment.microsecond // 1000:03d}Z"
    path = out_dir / f"predictions-{stamp}{suffix}"
    if path.exists():
        raise InferenceError(f"{str(path)!r} already exists; not overwriting it")
    return path


@dataclass(frozen=True)
class BatchResult:
    path: Path
    rows: int
    chunks: int


@dataclass(frozen=True)
class InputTable:
    """An opened input: its path and format, its row count, and its chunks (pyarrow RecordBatches)."""

    path: Path
    fmt: Format
    rows: int
    chunks: Iterator[Any]


def open_table(path: Path, fmt: Format, chunk_rows: int) -> InputTable:
    """The table's row count and an iterator of chunks of at most chunk_rows rows; a missing or unreadable
    file is an InferenceError now, before any model is downloaded. Parquet is streamed by row group; a CSV
    is parsed whole first (pyarrow infers one set of column types for the whole file)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if not path.exists():
        raise InferenceError(f"input file {str(path)!r} does not exist")
    if not path.is_file():
        raise InferenceError(f"input {str(path)!r} is not a file")
    try:
        if fmt == "parquet":
            parquet = pq.ParquetFile(path)
            opened = InputTable(path, fmt, parquet.metadata.num_rows, parquet.iter_batches(batch_size=chunk_rows))
        else:
            table = pa_csv.read_csv(path)
            opened = InputTable(path, fmt, table.num_rows, iter(table.to_batches(max_chunksize=chunk_rows)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as err:
        raise InferenceError(f"cannot read {str(path)!r} as {fmt.upper()}: {err}") from None
    if opened.rows == 0:
        raise InferenceError(f"{str(path)!r} has no rows to score")
    return opened


def prediction_columns(predictions: Any, rows: int) -> list[tuple[str, Any]]:
    """Name and values of the prediction columns: one `prediction` column for a vector, `prediction_<i>` for
    each column of a matrix, the model's own column names for a DataFrame (prefixed with `prediction_`)."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        if predictions.shape[1] == 1:
            return [(PREDICTION, predictions.iloc[:, 0].to_numpy())]
        return [(f"{PREDICTION}_{c}", predictions[c].to_numpy()) for c in predictions.columns]
    if isinstance(predictions, pd.Series):
        return [(PREDICTION, predictions.to_numpy())]
    values = np.asarray(predictions)
    if values.ndim == 2 and values.shape[0] == rows:
        return [(f"{PREDICTION}_{i}", values[:, i]) for i in range(values.shape[1])]
    if values.ndim != 1 or values.shape[0] != rows:
        raise InferenceError(f"the model returned {values.shape} predictions for {rows} rows")
    return [(PREDICTION, values)]


def model_inputs(model: Any) -> list[tuple[str, Any]] | None:
    """(name, numpy dtype or None) of each input column of the model's signature, or None (no signature, or
    unnamed tensor inputs). The dtype is given for numeric columns only: those are the ones converted."""
    import numpy as np

    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return None
    columns: list[tuple[str, Any]] = []
    for spec in schema.inputs:
        try:
            dtype = np.dtype(spec.type.to_numpy())
        except (AttributeError, TypeError):
            dtype = None
        columns.append((spec.name, dtype if dtype is not None and dtype.kind in "biuf" else None))
    return columns


def model_input(table: Any, columns: list[tuple[str, Any]] | None) -> Any:
    """The chunk as the model's pandas input: only the signature's columns when the table has them all (the
    others, e.g. ids, are kept in the output but not sent to the model), numeric ones converted to the
    signature's type when no value changes (a CSV's integers for a double column; mlflow refuses int64 ->
    float64 itself); otherwise every column as it is, so that the model's own schema check names the
    problem."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if columns is None or not all(name in table.column_names for name, _ in columns):
        return table.to_pandas()
    selected = table.select([name for name, _ in columns])
    for i, (name, dtype) in enumerate(columns):
        current = selected.schema.field(i).type
        if dtype is None or not (pa.types.is_integer(current) or pa.types.is_floating(current)):
            continue
        target = pa.from_numpy_dtype(dtype)
        if current != target:
            try:
                # A safe cast: refuses a value that would change (an overflow, a fraction to an integer,
                # an integer beyond float precision).
                selected = selected.set_column(i, name, pc.cast(selected.column(i), target, safe=True))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
    return selected.to_pandas()


def score_file(
    model: Any,
    source: InputTable,
    destination: Path,
    overwrite: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score every row of `source` with `model` (a loaded pyfunc model) and write destination.

    The file is written beside the destination under a temporary name and moved into place when complete:
    a failed run leaves no partial predictions, and with overwrite the old file stays until the new one is
    whole. Without overwrite an existing destination is never replaced (hard link, which fails if it exists).
    on_start gets the total row count, on_chunk the rows of each scored chunk (the progress bar)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from mlflow.exceptions import MlflowException

    columns = model_inputs(model)
    if on_start is not None:
        on_start(source.rows)
    fd, tmp_name = tempfile.mkstemp(prefix=".predictions-", suffix=".partial", dir=destination.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    writer: Any = None
    rows = count = 0
    try:
        for batch in source.chunks:
            table = pa.Table.from_batches([batch])
            try:
                predictions = model.predict(model_input(table, columns))
            except MlflowException as err:
                raise InferenceError(f"the model refused the input: {err.message}") from None
            for name, values in prediction_columns(predictions, table.num_rows):
                if name in table.column_names:
                    raise InferenceError(f"the input already has a column named {name!r}")
                table = table.append_column(name, pa.array(values))
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += table.num_rows
            count += 1
            if on_chunk is not None:
                on_chunk(table.num_rows)
        writer.close()
        writer = None
        if overwrite:
            os.replace(tmp, destination)
        else:
            try:
                os.link(tmp, destination)
            except FileExistsError:
                raise InferenceError(f"{str(destination)!r} already exists; not overwriting it") from None
            tmp.unlink()
    except pa.ArrowInvalid as err:
        raise InferenceError(f"cannot read {str(source.path)!r} as {source.fmt.upper()}: {err}") from None
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return BatchResult(destination, rows, count)
