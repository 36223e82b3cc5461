"""One TCP connection as a device uses it: frames in (cut by the product's framer), bytes out."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from fengkong.telematics.protocols.messages import FrameResult


class LinkDown(Exception):
    """The connection is unusable: closed, reset, timed out or refused."""


class Link:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 framer: Callable[[bytes], FrameResult]) -> None:
        self.reader = reader
        self.writer = writer
        self.framer = framer
        self._rest = b""
        self._frames: deque[bytes] = deque()

    @classmethod
    async def open(cls, host: str, port: int, framer: Callable[[bytes], FrameResult],
                   timeout: float) -> Link:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as exc:
            raise LinkDown(f"cannot connect to {host}:{port}: {exc}") from None
        return cls(reader, writer, framer)

    async def next_frame(self) -> bytes:
        while not self._frames:
            try:
                data = await self.reader.read(65536)
            except OSError as exc:
                raise LinkDown(str(exc)) from None
            if not data:
                raise LinkDown("closed by the platform")
            found = self.framer(self._rest + data)
            self._frames.extend(found.frames)
            self._rest = found.rest
        return self._frames.popleft()

    def write(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise LinkDown("closed")
        self.writer.write(data)

    async def drain(self) -> None:
        try:
            await self.writer.drain()
        except OSError as exc:
            raise LinkDown(str(exc)) from None

    def close(self) -> None:
        self.writer.close()
