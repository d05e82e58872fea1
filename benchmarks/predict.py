"""Batch scoring benchmark: `python -m benchmarks.predict [--rows N] [--spark]`.

Scores an N-row Parquet table (an id and two features) with a small sklearn LinearRegression saved with
mlflow, three ways: the model's own `pyfunc.predict` on the whole table already in memory (the floor:
what the model costs), regista's local engine (`regista.inference.batch`: read Parquet in chunks, predict,
write Parquet) at two chunk sizes, and, with --spark, the Spark engine (`spark_udf` on a local session,
read + score + write, JVM start excluded). Rows per second, best of 3 (Spark: 1 run after a warm-up).
No server is involved: resolving the alias is one registry read, the model download is the same for all.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def table(rows: int) -> pd.DataFrame:
    ids = np.arange(rows, dtype=np.int64)
    return pd.DataFrame({"id": ids, "x1": ids * 0.5, "x2": (ids % 7).astype(np.float64)})


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--spark", action="store_true", help="also the Spark engine (starts a JVM)")
    args = parser.parse_args()

    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    from regista.inference.batch import open_table, score_file

    work = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    try:
        train = table(100)[["x1", "x2"]]
        model = LinearRegression().fit(train, 2 * train["x1"] + 3 * train["x2"])
        mlflow.sklearn.save_model(model, work / "model", pip_requirements=["scikit-learn"],
                                  signature=infer_signature(train, model.predict(train)))
        pyfunc = mlflow.pyfunc.load_model(str(work / "model"))
        frame = table(args.rows)
        frame.to_parquet(work / "in.parquet")
        features = frame[["x1", "x2"]]
        results = {"pyfunc.predict, in memory (floor)": best(lambda: pyfunc.predict(features))}
        for chunk in (10_000, 100_000):
            out = work / f"out-{chunk}.parquet"

            def local(chunk: int = chunk, out: Path = out) -> None:
                score_file(pyfunc, open_table(work / "in.parquet", "parquet", chunk), out, overwrite=True)

            results[f"regista predict, local engine, chunks of {chunk:,}"] = best(local)
        if args.spark:
            from regista.inference.spark import local_session, score_table

            spark = local_session()
            spark.sparkContext.setLogLevel("ERROR")
            uri = str(work / "model")
            score_table(spark, uri, work / "in.parquet", "parquet", work / "warm.parquet", overwrite=True)
            start = time.perf_counter()
            score_table(spark, uri, work / "in.parquet", "parquet", work / "spark.parquet", overwrite=True)
            results["regista predict --engine spark (local[*])"] = time.perf_counter() - start
            spark.stop()
        print(f"{args.rows:,} rows")
        print("| path | seconds | rows/s |\n|---|---|---|")
        for name, seconds in results.items():
            print(f"| {name} | {seconds:.2f} | {args.rows / seconds:,.0f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
