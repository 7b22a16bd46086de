"""A TCP proxy in front of the broker that injects network faults (asyncio, loopback only).

Faults, each switchable while traffic flows:

- ``cut()`` / ``restore()``: refuse new connections and close the open ones (FIN), as a dead
  network or a restarting router would;
- ``latency_s``: every chunk is delivered that much later, in order, both ways;
- ``blackhole(True)``: bytes (and closes) are held, not delivered, until ``blackhole(False)``,
  as when packets are lost and TCP retransmits; new connections are accepted and held too;
- ``reset()``: abort every open connection with a TCP RST on both sides;
- ``fragment_bytes``: each chunk is written in pieces of 1..n bytes, each its own segment, so
  MQTT packets arrive split at every possible place.

The event loop runs in one background thread; the methods are called from the test's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

_CLOSE = b""  # queued after the last chunk: close the writing side


@dataclass(eq=False)
class _Pipe:
    """One proxied connection: client <-> upstream, and the tasks that pump it."""

    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class TcpProxy:
    __test__ = False

    def __init__(self, target_host: str, target_port: int, *, latency_s: float = 0.0,
                 fragment_bytes: int = 0, seed: int = 1) -> None:
        self.target = (target_host, target_port)
        self.latency_s = latency_s
        self.fragment_bytes = fragment_bytes
        self._rng = random.Random(seed)
        self._pipes: set[_Pipe] = set()
        self._server: asyncio.base_events.Server | None = None
        self._open = asyncio.Event()  # set: not blackholed
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy",
                                        daemon=True)
        self._thread.start()
        self._call(self._set_open(True))
        self.connections = 0  # accepted so far
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self.restore()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    # --- faults, called from any thread -----------------------------------------------------

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a dead network would."""
        self._call(self._cut())

    def blackhole(self, on: bool) -> None:
        self._call(self._set_open(not on))

    def reset(self) -> None:
        """Send a TCP RST both ways on every open connection (new ones are still accepted)."""
        self._call(self._drop_all(rst=True))

    def open_connections(self) -> int:
        return len(self._pipes)

    def close(self) -> None:
        if not self._loop.is_running():
            return
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    # --- inside the loop --------------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _set_open(self, value: bool) -> None:
        if value:
            self._open.set()
        else:
            self._open.clear()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port,
                                                      reuse_address=True)

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        await self._drop_all(rst=False)

    async def _drop_all(self, rst: bool) -> None:
        pipes, self._pipes = set(self._pipes), set()
        for pipe in pipes:
            for task in pipe.tasks:
                task.cancel()
            for writer in pipe.writers:
                sock = writer.get_extra_info("socket")
                if rst and sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                if rst:
                    writer.transport.abort()
                else:
                    writer.close()
        for pipe in pipes:
            await asyncio.gather(*pipe.tasks, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        pipe = _Pipe(writers=[client_writer])
        self._pipes.add(pipe)
        await self._open.wait()  # a blackholed SYN gets no answer from the far side
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            self._pipes.discard(pipe)
            return
        pipe.writers.append(up_writer)
        for writer in pipe.writers:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for reader, writer in ((client_reader, up_writer), (up_reader, client_writer)):
            queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
            pipe.tasks.append(asyncio.ensure_future(self._read(reader, queue)))
            pipe.tasks.append(asyncio.ensure_future(self._write(queue, writer, pipe)))

    async def _read(self, reader: asyncio.StreamReader,
                    queue: asyncio.Queue[tuple[float, bytes]]) -> None:
        try:
            while data := await reader.read(65536):
                await queue.put((time.monotonic() + self.latency_s, data))
        except OSError:
            pass
        await queue.put((time.monotonic() + self.latency_s, _CLOSE))

    async def _write(self, queue: asyncio.Queue[tuple[float, bytes]],
                     writer: asyncio.StreamWriter, pipe: _Pipe) -> None:
        try:
            while True:
                due, data = await queue.get()
                await self._open.wait()
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self._open.wait()
                if data == _CLOSE:
                    break
                await self._send(writer, data)
        except OSError:
            pass
        finally:
            for w in pipe.writers:  # one side gone: the other one hears of it
                w.close()
            self._pipes.discard(pipe)

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if self.fragment_bytes <= 0:
            writer.write(data)
            await writer.drain()
            return
        view = memoryview(data)
        while view:
            n = self._rng.randint(1, self.fragment_bytes)
            writer.write(bytes(view[:n]))
            await writer.drain()
            view = view[n:]
            await asyncio.sleep(0)  # let each piece leave as its own segment
