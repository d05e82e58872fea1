"""Model environment build benchmark: `python -m benchmarks.serving_env [--skip-virtualenv] [--skip-cold]`.

Builds the environment of a small sklearn model (logistic regression on iris, saved with mlflow, so its
requirements are the ones mlflow infers: mlflow, scikit-learn, numpy, pandas, scipy, ...) with regista's own
builder (`regista.environments.builder`, what the serving supervisor calls), four ways:
1. uv, cold: an empty uv cache (UV_CACHE_DIR in a temp dir), so every wheel is downloaded from the index;
2. uv, warm cache: a new environment (new cache root) with the wheels already in uv's cache;
3. cached: the same model again, the environment already built (a lookup: what a second endpoint pays);
4. virtualenv: stdlib venv + pip, with pip's own cache as this machine has it.
Prints seconds per case and the load average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def build(manager: str, root: Path, model: Path) -> tuple[float, int]:
    from regista.environments.builder import Environments

    envs = Environments(manager, str(root), sys.executable, 1800, False)
    lines: list[str] = []
    start = time.perf_counter()
    asyncio.run(envs.python_for(str(model), lines.append))
    return time.perf_counter() - start, len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-virtualenv", action="store_true", help="leave out the (slow) pip build")
    parser.add_argument("--skip-cold", action="store_true", help="leave out the empty-cache uv build")
    args = parser.parse_args()

    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    work = Path(tempfile.mkdtemp(prefix="bench-serving-env-"))
    load_before = os.getloadavg()
    results: list[tuple[str, float, int]] = []
    try:
        x = pd.DataFrame([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]] * 4,
                         columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
        clf = LogisticRegression(max_iter=500).fit(x, [0, 2, 1] * 4)
        mlflow.sklearn.save_model(clf, str(work / "model"))
        print("requirements:", " ".join((work / "model" / "requirements.txt").read_text().split()))
        if not args.skip_cold:
            saved = os.environ.get("UV_CACHE_DIR")
            os.environ["UV_CACHE_DIR"] = str(work / "uv-cache")
            try:
                results.append(("uv, empty uv cache (downloads every wheel)", *build("uv", work / "cold", work / "model")))
            finally:
                if saved is None:
                    os.environ.pop("UV_CACHE_DIR", None)
                else:
                    os.environ["UV_CACHE_DIR"] = saved
        build("uv", work / "prime", work / "model")  # fills the default uv cache if it was empty
        results.append(("uv, warm uv cache, new environment", *build("uv", work / "warm", work / "model")))
        results.append(("cached environment (a second endpoint)", *build("uv", work / "warm", work / "model")))
        if not args.skip_virtualenv:
            results.append(("virtualenv (venv + pip, pip's cache)", *build("virtualenv", work / "venv", work / "model")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, {load_before[1]:.2f}, {load_before[2]:.2f}; "
          f"after {load_after[0]:.2f}, {load_after[1]:.2f}, {load_after[2]:.2f}")
    print("| case | seconds | build log lines |")
    print("|---|---|---|")
    for name, seconds, lines in results:
        print(f"| {name} | {seconds:.3f} | {lines} |")


if __name__ == "__main__":
    main()
