"""`python -m regista.inference.env_runner`: the local engine's scoring (batch.score_file), run by a model
environment's interpreter for `regista predict --env-manager` (environment.py starts it, with only the regista
package put on its path). The job comes as one JSON object on stdin; progress and the result go back as JSON
lines on stdout, and everything else the model prints goes to stderr."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from regista.inference.batch import BatchResult, open_table, score_file
from regista.inference.errors import InferenceError


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def run(job: dict[str, Any], channel: IO[str]) -> BatchResult:
    import mlflow
    from mlflow.exceptions import MlflowException

    source = open_table(Path(job["input"]), job["fmt"], int(job["chunk_size"]))
    try:
        model = mlflow.pyfunc.load_model(job["model_dir"])
    except (MlflowException, OSError) as err:
        raise InferenceError(f"cannot load {job['uri']}: {getattr(err, 'message', err)}") from None
    return score_file(model, source, Path(job["destination"]), overwrite=bool(job["overwrite"]),
                      on_start=lambda total: _send(channel, {"start": total}),
                      on_chunk=lambda rows: _send(channel, {"chunk": rows}))


def main() -> int:
    # The protocol keeps the real stdout; the model's own prints (fd 1 included) go to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        result = run(json.loads(sys.stdin.read()), channel)
    except InferenceError as err:
        _send(channel, {"error": str(err)})
        return 1
    _send(channel, {"done": {"path": str(result.path), "rows": result.rows, "chunks": result.chunks}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
