"""The HTTP client webhooks are sent with: every connection's address is checked when it is made (a name
that resolved to a public address when the webhook was created may resolve elsewhere now: DNS rebinding)."""

from __future__ import annotations

import ssl
from typing import Any

import anyio
import httpcore
import httpx

from regista.server.storage.external import public_addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses non-public addresses (unless allowed) and connects to the address
    it checked, so nothing resolves the name a second time; TLS still verifies the original host name."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(public_addresses, host, port, self._allow_private)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                error = err
        raise error or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that uses GuardedBackend (no proxies from the environment:
    the checked peer must be the target itself)."""

    def __init__(self, verify: bool, allow_private: bool) -> None:
        super().__init__(verify=verify, trust_env=False, retries=0)
        context: ssl.SSLContext = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context, max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0,
            http1=True, http2=False, retries=0, network_backend=GuardedBackend(allow_private),
        )


def guarded_client(verify: bool, allow_private: bool, timeout_s: float) -> httpx.AsyncClient:
    """An AsyncClient for webhook calls: guarded connections, no redirects followed (a redirect could lead
    anywhere), no environment proxies."""
    return httpx.AsyncClient(
        transport=GuardedTransport(verify, allow_private), timeout=timeout_s, follow_redirects=False,
        trust_env=False,
    )
