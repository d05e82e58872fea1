"""`regista predict` (score a table, or a stream of files, with a registered model) and `regista notebook`
(write a ready-to-run inference notebook and script). Client-side: they talk to a tracking server like the
mlflow client does, and import mlflow only when run (`pip install 'regista[predict]'`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from regista.cli.database import fail
from regista.inference import client as mlflow_client
from regista.inference.errors import InferenceError

TrackingUri = Annotated[
    str | None,
    typer.Option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", show_envvar=False,
                 help="The regista (or MLflow) server, e.g. http://127.0.0.1:5000 (default $MLFLOW_TRACKING_URI). "
                      "A token, if the server wants one, comes from $MLFLOW_TRACKING_TOKEN."),
]
ModelUri = Annotated[
    str,
    typer.Option("--model", help="models:/<name>@<alias>, models:/<name>/<version>, models:/<name>/<stage> "
                                 "(Production, Staging, ...) or models:/<name>/latest."),
]


def predict(
    model: ModelUri,
    output: Annotated[Path, typer.Option("--output", help="Folder to write the predictions to (created if "
                                                         "missing).")],
    input: Annotated[Path | None, typer.Option("--input", help="The table to score: a .parquet or .csv file "
                                                               "(a folder of them with --engine spark).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Write OUTPUT/predictions.parquet, replacing it; "
                                            "default: a new OUTPUT/predictions-<UTC timestamp>.parquet.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="local (pandas, in chunks) or spark (spark_udf on a "
                                                         "local Spark session).")] = "local",
    fmt: Annotated[str | None, typer.Option("--format", help="parquet or csv (default: from the file name).")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Rows scored at a time by the local "
                                                                        "engine.")] = 100_000,
    stream: Annotated[bool, typer.Option("--stream", help="Score files as they arrive in --input-dir (Spark "
                                                          "Structured Streaming, checkpointed in "
                                                          "OUTPUT/_checkpoint).")] = False,
    input_dir: Annotated[Path | None, typer.Option("--input-dir", help="With --stream: the folder new files "
                                                                       "arrive in.")] = None,
    once: Annotated[bool, typer.Option("--once", help="With --stream: score the files there now, then "
                                                      "stop.")] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.0, help="With --stream: stop after this "
                                                  "many seconds (default: run until interrupted).")] = None,
    env_manager: Annotated[str, typer.Option("--env-manager", help="Where the local engine runs the model, as "
                                             "`mlflow models predict --env-manager`: local (this Python "
                                             "environment), or uv / virtualenv: an environment built from the "
                                             "model's own python_env.yaml / requirements.txt (as serving "
                                             "builds it), cached in --env-root.")] = "local",
    env_root: Annotated[Path | None, typer.Option("--env-root", help="Where --env-manager uv|virtualenv keeps "
                                                  "the environments (default: $XDG_CACHE_HOME/regista/envs, "
                                                  "else ~/.cache/regista/envs).")] = None,
    tracking_uri: TrackingUri = None,
) -> None:
    """Score a table with a registered model, or (--stream) the files arriving in a folder.

    The alias or stage is resolved once, at the start; the version it pointed to is printed and used
    throughout. Predictions are the input's columns plus `prediction`.
    """
    from regista.inference import batch as batch_mod
    from regista.inference.environment import ENV_MANAGERS, default_env_root
    from regista.inference.model_uri import parse_model_uri

    try:
        ref = parse_model_uri(model)
        if engine not in ("local", "spark"):
            raise InferenceError(f"unknown engine {engine!r}: use local or spark")
        if env_manager not in ENV_MANAGERS:
            raise InferenceError(f"unknown environment manager {env_manager!r}: use {', '.join(ENV_MANAGERS)}")
        if env_manager != "local" and (engine != "local" or stream):
            raise InferenceError(f"--env-manager {env_manager} runs the local engine only (Spark scores in "
                                 "its own Python): drop --engine spark, or use --env-manager local")
        if env_root is not None and env_manager == "local":
            raise InferenceError("--env-root applies to --env-manager uv or virtualenv")
        if stream:
            if engine != "spark":
                raise InferenceError("--stream runs on Spark: add --engine spark")
            if input_dir is None or input is not None:
                raise InferenceError("--stream reads --input-dir (not --input)")
            if overwrite:
                raise InferenceError("--overwrite does not apply to --stream (it continues from its checkpoint)")
            if once and timeout is not None:
                raise InferenceError("--once stops when the files there are scored; --timeout after a time: "
                                     "pick one")
        else:
            if input is None or input_dir is not None:
                raise InferenceError("give the table to score with --input (--input-dir is for --stream)")
            if once or timeout is not None:
                raise InferenceError("--once and --timeout apply to --stream only")
        # What can be checked here is checked before the server is asked and the model downloaded.
        source: batch_mod.InputTable | None = None
        if stream:
            assert input_dir is not None
            if not input_dir.is_dir():
                raise InferenceError(f"input folder {str(input_dir)!r} does not exist")
            source_fmt = batch_mod.detect_format(input_dir, fmt or "parquet")
        else:
            assert input is not None
            # A folder (of part files) is Parquet unless --format says otherwise: Spark reads folders.
            source_fmt = batch_mod.detect_format(input, (fmt or "parquet") if input.is_dir() else fmt)
            if engine == "local":
                source = batch_mod.open_table(input, source_fmt, chunk_size)
            elif not input.exists():
                raise InferenceError(f"input {str(input)!r} does not exist")
        mlflow = mlflow_client.connect(tracking_uri)
        resolved = mlflow_client.resolve(mlflow, ref)
        typer.echo(f"model: {ref.describe()} is version {resolved.version} ({resolved.uri})", err=True)
        if stream:
            assert input_dir is not None
            _stream(resolved.uri, input_dir, output, source_fmt, once, timeout)
        elif source is None:
            assert input is not None
            _spark_batch(resolved.uri, input, source_fmt, output, overwrite)
        elif env_manager == "local":
            _local_batch(mlflow, resolved.uri, source, output, overwrite)
        else:
            _env_batch(mlflow, resolved.uri, source, chunk_size, output, overwrite, env_manager,
                       env_root if env_root is not None else default_env_root())
    except InferenceError as err:
        raise fail(str(err)) from None


@contextmanager
def _progress() -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar on stderr: (set the total rows, add scored rows)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
                  TimeElapsedColumn(), console=Console(stderr=True)) as progress:
        task = progress.add_task("scoring", total=None)
        yield (lambda total: progress.update(task, total=total)), (lambda rows: progress.advance(task, rows))


def _local_batch(mlflow: Any, uri: str, source: Any, output: Path, overwrite: bool) -> None:
    from regista.inference.batch import output_path, score_file

    destination = output_path(output, overwrite)
    model = mlflow_client.load(mlflow, uri)
    with _progress() as (on_start, on_chunk):
        result = score_file(model, source, destination, overwrite=overwrite, on_start=on_start, on_chunk=on_chunk)
    typer.echo(f"scored {result.rows} rows in {result.chunks} chunk(s) with {uri}", err=True)
    typer.echo(str(result.path))


def _env_batch(mlflow: Any, uri: str, source: Any, chunk_size: int, output: Path, overwrite: bool,
               manager: str, root: Path) -> None:
    from regista.inference import environment
    from regista.inference.batch import output_path

    destination = output_path(output, overwrite)
    with environment.prepared(mlflow, uri, manager, root, lambda line: typer.echo(line, err=True)) as env:
        with _progress() as (on_start, on_chunk):
            result = environment.score(env, source, chunk_size, destination, overwrite, on_start, on_chunk)
    typer.echo(f"scored {result.rows} rows in {result.chunks} chunk(s) with {uri} in the model's environment "
               f"({env.python})", err=True)
    typer.echo(str(result.path))


def _spark_batch(uri: str, input: Path, fmt: Any, output: Path, overwrite: bool) -> None:
    from regista.inference.batch import output_path
    from regista.inference.spark import score_table, spark_session

    destination = output_path(output, overwrite)
    with spark_session() as spark:
        result = score_table(spark, uri, input, fmt, destination, overwrite)
    typer.echo(f"scored {result.rows} rows on Spark with {uri}", err=True)
    typer.echo(str(result.path))


def _stream(uri: str, input_dir: Path, output: Path, fmt: Any, once: bool, timeout: float | None) -> None:
    from regista.inference.spark import score_stream, spark_session

    with spark_session() as spark:
        result = score_stream(spark, uri, input_dir, fmt, output, once, timeout)
    typer.echo(f"scored {result.rows} new rows in {result.batches} micro-batch(es) with {uri}; checkpoint "
               f"{result.checkpoint}", err=True)
    typer.echo(str(result.predictions))


def notebook(
    model: ModelUri,
    mode: Annotated[str, typer.Option("--mode", help="batch (pandas over a Parquet/CSV file) or streaming "
                                                     "(Spark Structured Streaming over a folder).")] = "batch",
    output: Annotated[Path | None, typer.Option("--output", help="Where to write the notebook: FILE.ipynb, "
                                                "with FILE.py beside it (default: score-<model>-<mode>.ipynb "
                                                "in the current folder).")] = None,
    input: Annotated[str | None, typer.Option("--input", help="The file (batch) or folder (streaming) the "
                                              "notebook reads; editable in its first code cell.")] = None,
    output_dir: Annotated[str, typer.Option("--output-dir", help="Where the notebook writes its "
                                            "predictions.")] = "predictions",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing notebook files.")] = False,
    tracking_uri: TrackingUri = None,
) -> None:
    """Write a ready-to-run inference notebook (.ipynb) and the same code as a .py script.

    The notebook resolves the alias or stage when it runs, so it keeps following it. With a tracking server
    (--tracking-uri or $MLFLOW_TRACKING_URI) the reference is checked now and the version it points to shown.
    """
    from regista import __version__
    from regista.inference.model_uri import parse_model_uri
    from regista.inference.notebook import build_notebook

    try:
        ref = parse_model_uri(model)
        if not tracking_uri:
            raise InferenceError("no tracking server: pass --tracking-uri or set MLFLOW_TRACKING_URI (the "
                                 "notebook needs to know where the registry is)")
        built = build_notebook(model, mode, tracking_uri, input_path=input, output_dir=output_dir,
                               regista_version=__version__)
        stem = output if output is not None else Path(f"score-{_file_safe(ref.name)}-{mode}")
        if stem.suffix in (".ipynb", ".py"):
            stem = stem.with_suffix("")
        ipynb, script = stem.parent / f"{stem.name}.ipynb", stem.parent / f"{stem.name}.py"
        existing = [str(p) for p in (ipynb, script) if p.exists()]
        if existing and not overwrite:
            raise InferenceError(f"{', '.join(existing)} already exist(s); pass --overwrite to replace")
        if not mlflow_client.available():
            typer.echo("note: mlflow is not installed here, so the model reference was not checked", err=True)
        else:
            resolved = mlflow_client.resolve(mlflow_client.connect(tracking_uri), ref)
            typer.echo(f"model: {ref.describe()} is version {resolved.version} now; the notebook resolves it "
                       "again each time it runs", err=True)
        stem.parent.mkdir(parents=True, exist_ok=True)
        ipynb.write_text(built.ipynb(), encoding="utf-8")
        script.write_text(built.script(), encoding="utf-8")
    except InferenceError as err:
        raise fail(str(err)) from None
    typer.echo(str(ipynb))
    typer.echo(str(script))


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
