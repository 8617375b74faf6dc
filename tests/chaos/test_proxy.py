"""The fault proxy's toxics, against an echo server behind it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ops.chaos.proxy import Proxy


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    p = await Proxy("echo", server.sockets[0].getsockname()[1]).start()
    yield p
    await p.stop()
    server.close()


async def _connect(p: Proxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", p.port)


async def _roundtrip(p: Proxy, payload: bytes = b"ping") -> bytes:
    reader, writer = await _connect(p)
    writer.write(payload)
    await writer.drain()
    data = await asyncio.wait_for(reader.readexactly(len(payload)), 10)
    writer.close()
    return data


async def _silent(reader: asyncio.StreamReader) -> bool:
    """Nothing arrives within a second (the toxics under test hold data far longer)."""
    try:
        await asyncio.wait_for(reader.read(1), 1.0)
    except TimeoutError:
        return True
    return False


async def test_without_toxics_data_passes_both_ways(proxy: Proxy) -> None:
    assert await _roundtrip(proxy, b"x" * 200_000) == b"x" * 200_000


async def test_latency_holds_each_chunk_back(proxy: Proxy) -> None:
    proxy.add("latency", latency_ms=30_000)
    reader, writer = await _connect(proxy)
    writer.write(b"ping")
    assert await _silent(reader)
    writer.close()
    proxy.remove("latency")
    assert await _roundtrip(proxy) == b"ping"


async def test_timeout_zero_holds_data_until_removed(proxy: Proxy) -> None:
    reader, writer = await _connect(proxy)
    writer.write(b"ping")  # the proxy has taken the connection on
    assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
    proxy.add("timeout", timeout_ms=0)
    writer.write(b"ping")
    assert await _silent(reader)
    proxy.remove("timeout")
    assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
    writer.close()


async def test_timeout_closes_the_connection_after_its_time(proxy: Proxy) -> None:
    proxy.add("timeout", timeout_ms=100)
    reader, writer = await _connect(proxy)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, nothing got through
    writer.close()


async def test_reset_peer_resets_open_connections(proxy: Proxy) -> None:
    reader, writer = await _connect(proxy)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
    proxy.add("reset_peer", timeout_ms=0)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(), 10)
        writer.write(b"more")  # a reset may show only on the next write
        await writer.drain()
        await asyncio.wait_for(reader.read(), 10)


async def test_limit_data_closes_after_so_many_bytes(proxy: Proxy) -> None:
    proxy.add("limit_data", bytes=100)
    reader, writer = await _connect(proxy)
    writer.write(b"y" * 1000)
    await writer.drain()
    received = await asyncio.wait_for(reader.read(), 10)
    assert received == b"y" * len(received) and len(received) <= 100
    writer.close()


async def test_down_refuses_and_drops_then_comes_back(proxy: Proxy) -> None:
    reader, writer = await _connect(proxy)
    writer.write(b"ping")  # the proxy has taken the connection on
    assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
    proxy.add("down")
    assert await asyncio.wait_for(reader.read(), 10) == b""  # the open one was dropped
    fresh_reader, fresh_writer = await _connect(proxy)
    assert await asyncio.wait_for(fresh_reader.read(), 10) == b""
    fresh_writer.close()
    proxy.remove("down")
    assert await _roundtrip(proxy) == b"ping"


async def test_unknown_toxic_is_refused(proxy: Proxy) -> None:
    with pytest.raises(ValueError, match="unknown toxic"):
        proxy.add("bandwidth")
