"""Side-by-side benchmark of `regista server` against the official `mlflow server`.

Run with `python -m benchmarks.run [--quick] [--only regista|mlflow] [--out docs/benchmarks.md]`.
"""
