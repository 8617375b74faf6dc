"""A TCP fault proxy on loopback, switchable at run time, with Toxiproxy's vocabulary.

One `Proxy` stands in front of one dependency (the broker, PostgreSQL, SMTP, an SMS
provider); the services are pointed at its port instead of the real one. Toxics:

- `latency`    every chunk of data waits `latency_ms` before it is passed on;
- `timeout`    no data gets through; the connection is closed after `timeout_ms`
               (0: held open, silent, until the toxic is removed);
- `reset_peer` the connection is reset (TCP RST) after `timeout_ms` (0: at once);
- `limit_data` the connection is closed once `bytes` more bytes went through it;
- `down`       the proxy refuses connections and drops the open ones (Toxiproxy's
               `enabled: false`).

Toxics apply to open connections as well as new ones, both directions.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

KINDS = ("latency", "timeout", "reset_peer", "limit_data", "down")
_CHUNK = 65536


@dataclass
class Toxic:
    kind: str
    latency_ms: int = 0
    timeout_ms: int = 0
    bytes: int = 0


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    passed: int = 0  # bytes passed on since a limit_data toxic was set
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def close(self, *, reset: bool = False) -> None:
        for writer in (self.client, self.upstream):
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:  # linger 0: close sends RST instead of FIN
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
            writer.close()
        for task in self.tasks:
            task.cancel()


class Proxy:
    def __init__(self, name: str, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.name = name
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.toxics: dict[str, Toxic] = {}
        self.connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._timers: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()  # cleared while a timeout toxic holds the data
        self._flowing.set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> Proxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port or self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.drop_all()
        for timer in self._timers:
            timer.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    # ------------------------------------------------------------------ switching toxics
    def add(self, kind: str, **attributes: int) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown toxic {kind!r}; one of {', '.join(KINDS)}")
        toxic = Toxic(kind, **attributes)
        self.toxics[kind] = toxic
        if kind == "timeout":
            self._flowing.clear()
        if kind == "down":
            self.drop_all()
        for conn in list(self.connections):
            self._apply_on_open(conn, toxic)

    def remove(self, kind: str) -> None:
        self.toxics.pop(kind, None)
        if kind == "timeout":
            self._flowing.set()

    def clear(self) -> None:
        self.toxics.clear()
        self._flowing.set()

    def drop_all(self) -> None:
        for conn in list(self.connections):
            conn.close()
        self.connections.clear()

    def _apply_on_open(self, conn: _Connection, toxic: Toxic) -> None:
        if toxic.kind == "limit_data":
            conn.passed = 0
        elif toxic.kind == "reset_peer":
            self._later(toxic.timeout_ms, conn, reset=True)
        elif toxic.kind == "timeout" and toxic.timeout_ms > 0:
            self._later(toxic.timeout_ms, conn, reset=False)

    def _later(self, ms: int, conn: _Connection, *, reset: bool) -> None:
        async def close() -> None:
            await asyncio.sleep(ms / 1000)
            conn.close(reset=reset)
            self.connections.discard(conn)

        timer = asyncio.create_task(close())
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    # ------------------------------------------------------------------ passing data on
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if "down" in self.toxics:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()  # the dependency itself is gone: the client sees a closed socket
            return
        conn = _Connection(writer, up_writer)
        self.connections.add(conn)
        for toxic in list(self.toxics.values()):
            self._apply_on_open(conn, toxic)
        conn.tasks = [
            asyncio.create_task(self._pump(conn, reader, up_writer)),
            asyncio.create_task(self._pump(conn, up_reader, writer)),
        ]
        await asyncio.gather(*conn.tasks, return_exceptions=True)
        conn.close()
        self.connections.discard(conn)

    async def _pump(
        self, conn: _Connection, source: asyncio.StreamReader, sink: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await source.read(_CHUNK):
                latency = self.toxics.get("latency")
                if latency is not None and latency.latency_ms > 0:
                    await asyncio.sleep(latency.latency_ms / 1000)
                await self._flowing.wait()  # a timeout toxic holds everything
                limit = self.toxics.get("limit_data")
                if limit is not None:
                    conn.passed += len(data)
                    if conn.passed > limit.bytes:
                        sink.write(data[: max(0, limit.bytes - (conn.passed - len(data)))])
                        break
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            conn.close()  # one side ended: end the other, as a plain TCP relay would
