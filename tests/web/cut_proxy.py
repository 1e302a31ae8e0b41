"""A TCP proxy on 127.0.0.1 that cuts the connection on demand (asyncio, in its own thread).

Between a browser (or any client) and a live server, for the offline boarding tests and
the departures bench. Modes:

- ``up``: bytes pass both ways.
- ``down``: every open connection is reset (RST) and every new one is reset on accept.
- ``drop_replies``: requests reach the server, but the connection is reset as soon as
  the server's answer comes back, before the client sees it: the server did the work and
  the client does not know (the case where a retried event must not count twice).
- ``flaky``: each request (each chunk the client sends) is, at random (``drop`` of
  them, half each), reset before it reaches the server or reset once the server has
  answered it; the others pass.

Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from dataclasses import dataclass, field

HOST = "127.0.0.1"


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class Counts:
    connections: int = 0
    refused: int = 0
    replies_dropped: int = 0
    passed: int = 0


@dataclass
class CutProxy:
    upstream_port: int
    mode: str = "up"
    drop: float = 0.3
    seed: int = 19
    counts: Counts = field(default_factory=Counts)

    def __post_init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._open: set[asyncio.StreamWriter] = set()
        self._rng = random.Random(self.seed)
        self._thread = threading.Thread(target=self._run, name="cut-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> CutProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, HOST, 0))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def set(self, mode: str) -> None:
        """Change the mode; ``down`` and ``drop_replies`` also reset what is open now."""
        done = threading.Event()

        def change() -> None:
            self.mode = mode
            if mode != "up":
                for writer in list(self._open):
                    _reset(writer)
                self._open.clear()
            done.set()

        self._loop.call_soon_threadsafe(change)
        done.wait(5)

    def stop(self) -> None:
        self.set("down")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts.connections += 1
        mode = self.mode
        fate = {"down": "refuse", "drop_replies": "drop_reply"}.get(mode, "pass")
        if fate == "refuse":
            self.counts.refused += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        except OSError:
            _reset(writer)
            return
        self._open.update((writer, up_writer))

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, answer: bool
        ) -> None:
            nonlocal fate
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    if not answer and mode == "flaky":
                        roll = self._rng.random()
                        fate = "pass"
                        if roll < self.drop / 2:
                            self.counts.refused += 1
                            _reset(writer)
                            up_writer.close()
                            return
                        if roll < self.drop:
                            fate = "drop_reply"
                    if answer and fate == "drop_reply":
                        # the server answered: the client never hears it
                        self.counts.replies_dropped += 1
                        _reset(writer)
                        up_writer.close()
                        return
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass  # the other side went away: the connection ends
            finally:
                dst.close()

        if fate == "pass":
            self.counts.passed += 1
        await asyncio.gather(
            pipe(reader, up_writer, answer=False), pipe(up_reader, writer, answer=True)
        )
        self._open.discard(writer)
        self._open.discard(up_writer)
