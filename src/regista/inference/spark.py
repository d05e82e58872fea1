"""Scoring on Spark: a batch table, or files arriving in a folder (Structured Streaming), through
`mlflow.pyfunc.spark_udf` on a local Spark session (or the session already active in this process)."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regista.inference.batch import PREDICTION, Format
from regista.inference.errors import InferenceError

# Where a stream writes, under the output folder: the predictions (Parquet files and Spark's commit log,
# _spark_metadata, which says which files are complete) and the checkpoint that makes a restart continue.
STREAM_PREDICTIONS = "predictions"
STREAM_CHECKPOINT = "_checkpoint"


def local_session() -> Any:
    """A new local Spark session using every core, its Python workers in this interpreter (so they see the
    same mlflow and model libraries), without the web UI or console progress bar."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InferenceError("--engine spark needs pyspark: pip install 'regista[spark]'") from None
    # Spark starts its Python workers with $PYSPARK_PYTHON, else `python3` on PATH, which may lack pandas.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # A local session talks to itself only: bind the driver to loopback rather than to the address the
    # host name resolves to (Spark's default, which may be a public interface).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Said on every pandas UDF call; this combination (pandas 3, the pinned pyspark) is the one tested.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    from pyspark.errors import PySparkRuntimeError

    try:
        return (
            SparkSession.builder.master("local[*]")
            .appName("regista predict")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    except PySparkRuntimeError as err:
        # Typically JAVA_GATEWAY_EXITED: no java on PATH / JAVA_HOME, or one older than 17.
        raise InferenceError(f"cannot start Spark (it needs Java 17 or 21 on PATH or in JAVA_HOME): "
                             f"{_first_line(err)}") from None


@contextmanager
def spark_session() -> Iterator[Any]:
    """The Spark session active in this process (a notebook's, a test's), left running; else a local one,
    stopped at the end."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InferenceError("--engine spark needs pyspark: pip install 'regista[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    session = local_session()
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def _reader(spark: Any, fmt: Format, streaming: bool) -> Any:
    reader = spark.readStream if streaming else spark.read
    reader = reader.format(fmt)
    if fmt == "csv":
        reader = reader.option("header", "true")
        if not streaming:
            reader = reader.option("inferSchema", "true")
    return reader


def _score(spark: Any, frame: Any, model_uri: str) -> Any:
    """frame with a `prediction` column: the model's signature names the input columns when it has one (extra
    columns, e.g. ids, pass through unscored); without a signature every column goes to the model."""
    import mlflow.models
    import mlflow.pyfunc
    from pyspark.sql.functions import col, struct

    if PREDICTION in frame.columns:
        raise InferenceError(f"the input already has a column named {PREDICTION!r}")
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local")
    signature = mlflow.models.get_model_info(model_uri).signature
    if signature is not None and signature.inputs is not None and signature.inputs.has_input_names():
        names = signature.inputs.input_names()
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise InferenceError(f"the input lacks the model's input column(s) {', '.join(map(repr, missing))}")
        wanted = _spark_types(signature.inputs)
        have = {field.name: field.dataType for field in frame.schema.fields}
        args = struct(*[
            col(f"`{n}`").cast(wanted[n]).alias(n) if _widens(have[n], wanted.get(n)) else col(f"`{n}`")
            for n in names
        ])
    else:
        args = struct(*[col(f"`{c}`") for c in frame.columns])
    return frame.withColumn(PREDICTION, udf(args))


def _spark_types(inputs: Any) -> dict[str, Any]:
    """The Spark type of each named column of an input signature (none for a type Spark cannot hold)."""
    try:
        return {field.name: field.dataType for field in inputs.as_spark_schema().fields}
    except Exception:  # e.g. a tensor or object spec: then no column is converted
        return {}


def _widens(current: Any, target: Any) -> bool:
    """Whether converting a column from `current` to the signature's `target` type keeps every value: integers
    to floating point or to a wider integer, float to double (a CSV's integers for a double column; mlflow
    refuses int -> double itself). Narrowing is left to the model's schema check, which names the column."""
    from pyspark.sql import types as t

    if target is None or current == target:
        return False
    integral = (t.ByteType, t.ShortType, t.IntegerType, t.LongType)
    if isinstance(current, integral) and isinstance(target, t.FloatType | t.DoubleType | t.LongType):
        return True
    return isinstance(current, t.FloatType) and isinstance(target, t.DoubleType)


@dataclass(frozen=True)
class SparkBatchResult:
    path: Path
    rows: int


def score_table(spark: Any, model_uri: str, input_path: Path, fmt: Format, destination: Path,
                overwrite: bool) -> SparkBatchResult:
    """Score a Parquet/CSV file (or folder of files) into destination, a Parquet folder as Spark writes it."""
    from pyspark.errors import AnalysisException

    if not input_path.exists():
        raise InferenceError(f"input {str(input_path)!r} does not exist")
    try:
        frame = _reader(spark, fmt, streaming=False).load(str(input_path))
        scored = _score(spark, frame, model_uri)
        scored.write.mode("overwrite" if overwrite else "errorifexists").parquet(str(destination))
    except AnalysisException as err:
        raise InferenceError(f"Spark cannot score {str(input_path)!r}: {_first_line(err)}") from None
    rows = spark.read.parquet(str(destination)).count()
    return SparkBatchResult(destination, rows)


@dataclass(frozen=True)
class StreamResult:
    predictions: Path
    checkpoint: Path
    batches: int
    rows: int


def score_stream(spark: Any, model_uri: str, input_dir: Path, fmt: Format, out_dir: Path, once: bool,
                 timeout_s: float | None) -> StreamResult:
    """Score the files of input_dir as they arrive, appending Parquet files to out_dir/predictions with a
    checkpoint in out_dir/_checkpoint: a new run over the same out_dir continues after the last file it
    committed, so every input row is scored exactly once.

    once: score what is there now (in as many micro-batches as needed) and stop. Otherwise run until
    timeout_s seconds pass (then stop cleanly, after the micro-batch in progress), or forever without it."""
    from pyspark.errors import AnalysisException, StreamingQueryException

    if not input_dir.is_dir():
        raise InferenceError(f"input folder {str(input_dir)!r} does not exist")
    out_dir.mkdir(parents=True, exist_ok=True)
    predictions, checkpoint = out_dir / STREAM_PREDICTIONS, out_dir / STREAM_CHECKPOINT
    try:
        schema = _stream_schema(spark, model_uri, input_dir, fmt)
        stream = _reader(spark, fmt, streaming=True).schema(schema).load(str(input_dir))
        scored = _score(spark, stream, model_uri)
        writer = (
            scored.writeStream.format("parquet")
            .option("path", str(predictions))
            .option("checkpointLocation", str(checkpoint))
            .outputMode("append")
        )
        writer = writer.trigger(availableNow=True) if once else writer.trigger(processingTime="2 seconds")
        query = writer.start()
    except AnalysisException as err:
        raise InferenceError(f"Spark cannot stream from {str(input_dir)!r}: {_first_line(err)}") from None
    try:
        if once:
            query.awaitTermination()
        else:
            query.awaitTermination(timeout_s)
    except StreamingQueryException as err:
        raise InferenceError(f"the stream failed: {_first_line(err)}") from None
    except KeyboardInterrupt:
        pass
    finally:
        if query.isActive:
            query.stop()
    progress = query.recentProgress
    batches = sum(1 for p in progress if p.get("numInputRows", 0) > 0)
    rows = sum(int(p.get("numInputRows", 0)) for p in progress)
    return StreamResult(predictions, checkpoint, batches, rows)


def _stream_schema(spark: Any, model_uri: str, input_dir: Path, fmt: Format) -> Any:
    """A streaming source needs its schema up front: the files already there tell it (all their columns, so
    ids pass through), else the model's input signature."""
    pattern = "*.parquet" if fmt == "parquet" else "*.csv"
    if any(input_dir.glob(pattern)):
        return _reader(spark, fmt, streaming=False).load(str(input_dir)).schema
    import mlflow.models

    signature = mlflow.models.get_model_info(model_uri).signature
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        raise InferenceError(
            f"{str(input_dir)!r} has no {fmt.upper()} file yet and the model has no input signature: "
            "put one file there first, so its columns are known"
        )
    return signature.inputs.as_spark_schema()


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
