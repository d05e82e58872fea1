"""The u32-framed wire of regista's serving sockets (to the model workers and between server processes): a
frame is a big-endian u32 length and that many bytes; regista/serving_worker.py keeps its own copy, as it
imports nothing from regista."""

from __future__ import annotations

import asyncio
import struct

U32 = struct.Struct(">I")


def frame(data: bytes) -> bytes:
    return U32.pack(len(data)) + data


async def read_u32(reader: asyncio.StreamReader) -> int:
    (value,) = U32.unpack(await reader.readexactly(4))
    return int(value)


async def read_frame(reader: asyncio.StreamReader, limit: int | None = None) -> bytes:
    """One frame; ValueError when it announces more than `limit` bytes (the peer is not trusted that far)."""
    size = await read_u32(reader)
    if limit is not None and size > limit:
        raise ValueError(f"a frame of {size} bytes is over the limit of {limit}")
    return await reader.readexactly(size)
