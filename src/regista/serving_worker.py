"""The model worker program: loads one model with mlflow.pyfunc and answers invocations on a Unix socket.

Run by the server's serving supervisor as `python -m regista.serving_worker MODEL_DIR SOCKET`, one process
per served entity, so a model that crashes or leaks takes down only its own worker; under a model
environment's interpreter (REGISTA_SERVING_ENV_MANAGER uv / virtualenv), where regista is not installed, it is
run from this file. So it imports only the standard library and mlflow. This is the only module of regista
that imports mlflow (installed with `regista[serving]`), and the server process never imports it.

Wire (one request at a time per connection, any number of connections):
  request:  u32 length + content type (UTF-8), u32 length + body
  response: u32 HTTP status, u32 length + media type, u32 length + body
When the model is loaded and the socket listens, the worker prints READY_LINE on stdout.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import struct
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

READY_LINE = "regista-worker-ready"
_U32 = struct.Struct(">I")


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = _U32.unpack(await reader.readexactly(4))
    return await reader.readexactly(size)


def _frame(data: bytes) -> bytes:
    return _U32.pack(len(data)) + data


class Worker:
    """The loaded model and the mlflow scoring functions that parse, predict and serialize."""

    def __init__(self, model_dir: str) -> None:
        self.pyfunc: Any = importlib.import_module("mlflow.pyfunc")
        self.scoring: Any = importlib.import_module("mlflow.pyfunc.scoring_server")
        self.exceptions: Any = importlib.import_module("mlflow.exceptions")
        self.model = self.pyfunc.load_model(model_dir)
        self.input_schema = self.model.metadata.get_input_schema()

    def invoke(self, content_type: str, body: bytes) -> tuple[int, str, bytes]:
        """(status, media type, body) of one invocation, exactly as `mlflow models serve` computes it."""
        mlflow_exception = self.exceptions.MlflowException
        try:
            result = self.scoring.invocations(body, content_type, self.model, self.input_schema)
        except mlflow_exception as err:
            payload = {"error_code": err.error_code, "message": err.message}
            return err.get_http_status_code(), "application/json", _json(payload)
        except Exception as err:  # a model's own failure: reported, the worker lives on
            traceback.print_exc()
            payload = {"error_code": "INTERNAL_ERROR", "message": f"Model raised {type(err).__name__}: {err}"}
            return 500, "application/json", _json(payload)
        response = result.response
        data = response.encode() if isinstance(response, str) else bytes(response)
        return int(result.status), str(result.mimetype), data


def _json(payload: dict[str, Any]) -> bytes:
    import json

    return json.dumps(payload).encode()


async def _serve_connection(
    worker: Worker, pool: ThreadPoolExecutor, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                content_type = (await _read_frame(reader)).decode()
                body = await _read_frame(reader)
            except asyncio.IncompleteReadError:
                return
            status, media_type, data = await loop.run_in_executor(pool, worker.invoke, content_type, body)
            writer.write(_U32.pack(status) + _frame(media_type.encode()) + _frame(data))
            await writer.drain()
    except (ConnectionError, BrokenPipeError):
        return
    finally:
        writer.close()


async def _exit_with_parent(parent: int) -> None:
    """A server killed outright (kill -9) cannot stop its workers: each leaves once its parent is gone."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    os._exit(0)


async def _main(model_dir: str, socket_path: str, threads: int) -> None:
    orphan_watch = asyncio.create_task(_exit_with_parent(os.getppid()))
    worker = Worker(model_dir)
    pool = ThreadPoolExecutor(max_workers=threads)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = await asyncio.start_unix_server(
        lambda r, w: _serve_connection(worker, pool, r, w), path=socket_path
    )
    print(READY_LINE, flush=True)
    async with server:
        await asyncio.gather(server.serve_forever(), orphan_watch)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m regista.serving_worker MODEL_DIR SOCKET [THREADS]", file=sys.stderr)
        return 2
    threads = int(argv[2]) if len(argv) > 2 else 4
    print(f"loading model from {argv[0]}", flush=True)
    asyncio.run(_main(argv[0], argv[1], threads))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
