"""A small, cheap keep-alive HTTP/1.1 client for the load generator: asyncio (uvloop) + httptools.

Each `Connection` is one persistent TCP connection used for one request at a time, like one
`requests.Session` connection of the mlflow client. Responses are parsed by httptools (the C parser
uvicorn uses), so Content-Length and chunked bodies are both handled. It costs a fraction of
aiohttp's CPU per request, which matters on a 2-core machine where the client shares the CPU with
the server it measures.
"""

from __future__ import annotations

import asyncio
import socket

import httptools


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self.body: list[bytes] = []
        self.closed = False

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.parser is None:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("connection closed by server"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        parser = self.parser
        assert parser is not None
        status = parser.get_status_code()
        keep_alive = parser.should_keep_alive()
        body = b"".join(self.body)
        self.parser = None
        if not keep_alive and self.transport is not None:
            self.closed = True
            self.transport.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))

    def _fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def send(self, data: bytes) -> asyncio.Future:
        self.body = []
        self.parser = httptools.HttpResponseParser(self)
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(data)
        return self.waiter


class Connection:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.host = host
        self.port = port
        self.host_header = f"{host}:{port}".encode()
        # Sent on every request when the server requires authentication.
        self.auth_line = f"Authorization: Bearer {token}\r\n".encode() if token else b""
        self._proto: _Protocol | None = None
        self.connects = 0

    async def request(self, method: str, path: str, body: bytes | None = None,
                      content_type: bytes = b"application/json") -> tuple[int, bytes]:
        head = [method.encode(), b" ", path.encode(), b" HTTP/1.1\r\nHost: ", self.host_header,
                b"\r\nUser-Agent: regista-bench\r\nAccept: */*\r\n", self.auth_line]
        if body is not None:
            head += [b"Content-Type: ", content_type, b"\r\nContent-Length: ", str(len(body)).encode(), b"\r\n"]
        head.append(b"\r\n")
        data = b"".join(head) + (body or b"")
        for attempt in (0, 1):
            if self._proto is None or self._proto.closed:
                loop = asyncio.get_running_loop()
                _, proto = await loop.create_connection(_Protocol, self.host, self.port)
                self._proto = proto
                self.connects += 1
            reused = self.connects > 0 and attempt == 0
            try:
                return await self._proto.send(data)
            except ConnectionError:
                # A kept-alive connection the server had just closed: retry once on a new one.
                self._proto = None
                if not reused or attempt == 1:
                    raise
        raise ConnectionError("unreachable")

    def close(self) -> None:
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._proto = None
