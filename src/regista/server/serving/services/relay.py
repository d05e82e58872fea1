"""Calls forwarded from the other server processes of a data folder to the one that supervises model serving,
over a Unix socket under <data dir>/serving/ (mode 0600, and only peers of the server's own user are served).

Wire (u32 frames, frames.py; one call at a time per connection, any number of connections):
  call:   frame(operation), frame(arguments as JSON), frame(body)
  answer: u32 status, frame(meta as JSON), frame(body)
meta is {"media_type", "served"} for an answer, {"error_code", "message", "headers"} for a refusal: a
RegistaError raised by the supervisor, raised again in the calling process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from regista.errors import InternalError, RegistaError, TemporarilyUnavailable
from regista.server.serving.services.frames import U32, frame, read_frame, read_u32

log = logging.getLogger("regista.serving")

# A Unix socket address holds 108 bytes on Linux (104 on macOS); longer paths go through /proc (below).
MAX_SOCKET_PATH = 100
MAX_OPERATION = 64
MAX_IDLE_CONNECTIONS = 64


@dataclass(frozen=True)
class Reply:
    """What the supervisor answers: an HTTP status, its media type and body, the served entity (invocations)."""

    status: int
    media_type: str
    body: bytes
    served: str = ""


Handler = Callable[[str, dict[str, Any], bytes], Awaitable[Reply]]


@contextlib.contextmanager
def _address(path: str) -> Iterator[str]:
    """An address short enough for a Unix socket: the path itself, or, when the data folder's path is long,
    the same file reached through an open descriptor of its folder (/proc/self/fd/N/name)."""
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        yield path
        return
    fd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{os.path.basename(path)}"
    finally:
        os.close(fd)


def _same_user(writer: asyncio.StreamWriter) -> bool:
    """Whether the connecting process runs as this one's user (checked where the kernel can say: Linux)."""
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return True
    _, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return bool(uid == os.getuid())


def _answer(status: int, meta: dict[str, Any], body: bytes) -> bytes:
    return U32.pack(status) + frame(orjson.dumps(meta)) + frame(body)


class RelayServer:
    """The supervising process's end: each call is handed to `handler`, its reply or refusal sent back."""

    def __init__(self, path: str, handler: Handler, max_frame: int) -> None:
        self.path = path
        self.handler = handler
        self.max_frame = max_frame
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        # A dead supervisor's socket file: only the lock holder gets here, so it is nobody's.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # On Linux the socket file is created with this mode, so it is never open to others, even briefly.
            with contextlib.suppress(OSError):
                os.fchmod(sock.fileno(), 0o600)
            with _address(self.path) as address:
                sock.bind(address)
            os.chmod(self.path, 0o600)
            sock.listen(256)
        except BaseException:
            sock.close()
            raise
        self._server = await asyncio.start_unix_server(self._serve, sock=sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            if not _same_user(writer):
                log.warning("refused a serving relay connection from another user")
                return
            while True:
                try:
                    operation = (await read_frame(reader, MAX_OPERATION)).decode()
                    arguments = orjson.loads(await read_frame(reader, self.max_frame))
                    body = await read_frame(reader, self.max_frame)
                except asyncio.IncompleteReadError:
                    return  # the caller closed the connection
                except (ValueError, UnicodeDecodeError) as err:
                    log.warning("dropped a malformed serving relay call: %s", err)
                    return
                writer.write(await self._call(operation, arguments, body))
                await writer.drain()
        except ConnectionError:
            return
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _call(self, operation: str, arguments: Any, body: bytes) -> bytes:
        try:
            if not isinstance(arguments, dict):
                raise InternalError("The arguments of a serving relay call must be a JSON object.")
            reply = await self.handler(operation, arguments, body)
        except RegistaError as err:
            meta = {**err.to_json(), "headers": dict(err.headers or {})}
            return _answer(err.http_status, meta, b"")
        except Exception:
            log.exception("a forwarded serving call (%s) failed", operation)
            return _answer(500, InternalError("The serving supervisor failed this call.").to_json(), b"")
        return _answer(reply.status, {"media_type": reply.media_type, "served": reply.served}, reply.body)


def _refusal(status: int, meta: dict[str, Any]) -> RegistaError:
    err = RegistaError(str(meta.get("message", "")), str(meta.get("error_code", "INTERNAL_ERROR")))
    if err.http_status != status:
        err.status_override = status
    if meta.get("headers"):
        err.headers = {str(k): str(v) for k, v in meta["headers"].items()}
    return err


class RelayClient:
    """The other processes' end: a pool of connections to the supervising process's socket."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    def _reusable(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        while self._idle:
            reader, writer = self._idle.pop()
            # A connection to a supervisor that has since exited has seen its end of file: never reuse it.
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def call(self, operation: str, arguments: dict[str, Any], body: bytes = b"") -> Reply:
        """The supervisor's reply; its refusal raised as a RegistaError, and TemporarilyUnavailable when no
        supervisor answers (none yet, or the one that was is gone)."""
        conn = self._reusable()
        try:
            if conn is None:
                with _address(self.path) as address:
                    conn = await asyncio.open_unix_connection(address)
            reader, writer = conn
            writer.write(frame(operation.encode()) + frame(orjson.dumps(arguments)) + U32.pack(len(body)))
            writer.write(body)
            await writer.drain()
            status = await read_u32(reader)
            meta = orjson.loads(await read_frame(reader))
            data = await read_frame(reader)
        except (OSError, asyncio.IncompleteReadError) as err:
            if conn is not None:
                conn[1].close()
            raise TemporarilyUnavailable(
                "The server process that supervises model serving did not answer "
                f"({type(err).__name__}); another one takes over within seconds; retry."
            ) from None
        except BaseException:
            # Cancelled mid-exchange (or a garbled answer): the connection's state is unknown, never reuse it.
            if conn is not None:
                conn[1].close()
            raise
        if len(self._idle) < MAX_IDLE_CONNECTIONS:
            self._idle.append(conn)
        else:
            conn[1].close()
        if "error_code" in meta:
            raise _refusal(status, meta)
        return Reply(status, str(meta["media_type"]), data, str(meta.get("served", "")))

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()
