"""The socket between a data folder's server processes (services/relay.py) and the lock that elects the one
supervising serving (server/process_lock.py), on real Unix sockets and files: a reply and a refusal cross
it as the supervisor gave them, a long data folder path works, nobody else's process can read the socket,
and a client never reuses a connection to a supervisor that has gone."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from regista.errors import RegistaError, RequestLimitExceeded, TemporarilyUnavailable
from regista.server.process_lock import LeaderLock
from regista.server.serving.services.frames import frame
from regista.server.serving.services.relay import MAX_SOCKET_PATH, RelayClient, RelayServer, Reply
from tests.fixtures.fresh_loop import run_in_fresh_loop


async def _handler(operation: str, args: dict[str, Any], body: bytes) -> Reply:
    if operation == "echo":
        return Reply(201, "text/csv", body[::-1], served=str(args["who"]))
    if operation == "limit":
        err = RequestLimitExceeded("Rate limit exceeded; retry in 7 s.")
        err.headers = {"Retry-After": "7"}
        raise err
    raise ZeroDivisionError("a bug")


@pytest.fixture
def socket_path(tmp_path: Path) -> str:
    # Longer than a Unix socket address can hold: reached through /proc/self/fd.
    folder = tmp_path / ("d" * 60) / ("e" * 60) / "serving"
    folder.mkdir(parents=True)
    path = str(folder / "supervisor.sock")
    assert len(path) > MAX_SOCKET_PATH
    return path


def test_replies_and_refusals_cross_the_socket_as_given(socket_path: str) -> None:
    async def scenario() -> None:
        server = RelayServer(socket_path, _handler, max_frame=1 << 20)
        await server.start()
        client = RelayClient(socket_path)
        try:
            assert stat.S_IMODE(os.stat(socket_path).st_mode) == 0o600
            body = os.urandom(300_000)
            reply = await client.call("echo", {"who": "main"}, body)
            assert reply == Reply(201, "text/csv", body[::-1], "main")
            # Several calls at once: each on a connection of its own.
            replies = await asyncio.gather(*(client.call("echo", {"who": str(i)}, b"ab") for i in range(20)))
            assert [r.served for r in replies] == [str(i) for i in range(20)]
            with pytest.raises(RegistaError) as refused:
                await client.call("limit", {})
            assert (refused.value.http_status, refused.value.error_code) == (429, "REQUEST_LIMIT_EXCEEDED")
            assert refused.value.message == "Rate limit exceeded; retry in 7 s."
            assert dict(refused.value.headers or {}) == {"Retry-After": "7"}
            with pytest.raises(RegistaError) as failed:
                await client.call("bug", {})
            assert (failed.value.http_status, failed.value.error_code) == (500, "INTERNAL_ERROR")
            assert "a bug" not in failed.value.message
        finally:
            client.close()
            await server.stop()
        assert not os.path.exists(socket_path)

    run_in_fresh_loop(scenario)


def test_no_supervisor_is_a_503_and_a_new_one_is_found_again(socket_path: str) -> None:
    async def scenario() -> None:
        client = RelayClient(socket_path)
        with pytest.raises(TemporarilyUnavailable):
            await client.call("echo", {"who": "x"}, b"")
        first = RelayServer(socket_path, _handler, max_frame=1024)
        await first.start()
        assert (await client.call("echo", {"who": "one"}, b"")).served == "one"
        await first.stop()  # its pooled connection is now closed: never reused
        second = RelayServer(socket_path, _handler, max_frame=1024)
        await second.start()
        try:
            assert (await client.call("echo", {"who": "two"}, b"")).served == "two"
        finally:
            client.close()
            await second.stop()

    run_in_fresh_loop(scenario)


def test_a_malformed_or_oversized_call_is_dropped_and_the_server_goes_on(socket_path: str) -> None:
    async def scenario() -> None:
        server = RelayServer(socket_path, _handler, max_frame=1024)
        await server.start()
        client = RelayClient(socket_path)
        try:
            fd = os.open(os.path.dirname(socket_path), os.O_RDONLY | os.O_DIRECTORY)
            try:
                reader, writer = await asyncio.open_unix_connection(
                    f"/proc/self/fd/{fd}/{os.path.basename(socket_path)}")
            finally:
                os.close(fd)
            writer.write(frame(b"echo") + frame(b"{}") + frame(b"x" * 2048))  # over max_frame
            await writer.drain()
            assert await reader.read() == b""  # closed without an answer
            writer.close()
            with pytest.raises(TemporarilyUnavailable):  # oversized for the server: the connection is dropped
                await client.call("echo", {"who": "big"}, b"x" * 2048)
            assert (await client.call("echo", {"who": "ok"}, b"x")).served == "ok"
        finally:
            client.close()
            await server.stop()

    run_in_fresh_loop(scenario)


def test_the_leader_lock_is_held_by_one_holder_at_a_time(tmp_path: Path) -> None:
    path = str(tmp_path / "supervisor.lock")
    first, second = LeaderLock(path), LeaderLock(path)
    assert first.try_acquire() and first.held
    assert not second.try_acquire() and not second.held
    assert first.try_acquire()  # taking it again while holding it is a no-op
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()
