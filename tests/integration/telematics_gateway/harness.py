"""A gateway on 127.0.0.1 with OS-chosen ports, in-memory neighbours, and a tracker client
that speaks raw bytes over a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from fengkong.telematics.gateway import DeviceInfo, Gateway, GatewaySettings
from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.fakes import (
    InMemoryDirectory,
    RecordingSink,
    RecordingStatus,
)
from tests.unit.telematics.reference import gt06_frame, xor

GT06_IMEI = "864717003283581"              # the corpus login packet's IMEI
GT06_OTHER_IMEI = "123456789012345"
JT808_PHONE = "013511221122"               # the corpus registration packet's terminal
JT808_IMEI = "123456789012347"   # 48-bit terminal id 0b3a73ce2ff2 plus its Luhn digit

GT06_DEVICE = DeviceInfo("tenant-a", "dev-gt06", GT06_IMEI, "gt06", model="GT06N")
GT06_OTHER = DeviceInfo("tenant-a", "dev-gt06-2", GT06_OTHER_IMEI, "gt06")
GT06_LOGIN_ACK = bytes.fromhex("78 78 05 01 00 09 55 94 0D 0A")  # the reference notes' reply
JT808_DEVICE = DeviceInfo("tenant-b", "dev-jt808", JT808_PHONE, "jt808")
JT808_IMEI_DEVICE = DeviceInfo("tenant-b", "dev-jt808-imei", JT808_IMEI, "jt808")


def settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "ports": {"gt06": 0, "jt808": 0},
                              "stop_grace": 2.0}
    return GatewaySettings(**(values | overrides))


def run(scenario: Callable[[], Awaitable[None]], timeout: float = 20.0) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(timeout):
            await scenario()
    asyncio.run(bounded())


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait until `condition()` holds (for effects the gateway reaches after a reply)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


@dataclass
class World:
    gateway: Gateway
    directory: InMemoryDirectory
    sink: RecordingSink
    status: RecordingStatus
    registry: CollectorRegistry
    trackers: list[Tracker] = field(default_factory=list)

    async def connect(self, protocol: str) -> Tracker:
        reader, writer = await asyncio.open_connection("127.0.0.1",
                                                       self.gateway.ports[protocol])
        tracker = Tracker(reader, writer)
        self.trackers.append(tracker)
        return tracker

    async def gt06_logged_in(self, *, second: bool = False) -> Tracker:
        """A GT06 connection logged in (corpus login) as `dev-gt06`, or as `dev-gt06-2`."""
        tracker = await self.connect("gt06")
        if second:
            await tracker.send(gt06_login(GT06_OTHER_IMEI, 1))
            await tracker.expect(gt06_ack(0x01, 1))
        else:
            await tracker.send(packets.gt06(packets.GT06_LOGIN))
            await tracker.expect(GT06_LOGIN_ACK)
        return tracker

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0

    def rejections(self) -> dict[tuple[str, str], float]:
        """Every rejection counted so far, by (protocol, reason)."""
        return {(sample.labels["protocol"], sample.labels["reason"]): sample.value
                for family in self.registry.collect()
                if family.name == "fengkong_gateway_frames_rejected"
                for sample in family.samples if sample.name.endswith("_total")}

    def rejected(self, protocol: str, reason: str) -> float:
        return self.metric("fengkong_gateway_frames_rejected_total", protocol=protocol,
                           reason=reason)


@asynccontextmanager
async def running(gateway_settings: GatewaySettings | None = None,
                  directory: InMemoryDirectory | None = None) -> AsyncIterator[World]:
    directory = directory or InMemoryDirectory(GT06_DEVICE, GT06_OTHER, JT808_DEVICE,
                                               JT808_IMEI_DEVICE)
    sink, status, registry = RecordingSink(), RecordingStatus(), CollectorRegistry()
    gateway = Gateway(gateway_settings or settings(), directory, sink, status=status,
                      registry=registry)
    await gateway.start()
    world = World(gateway, directory, sink, status, registry)
    try:
        yield world
    finally:
        for tracker in world.trackers:
            tracker.close()
        await gateway.stop()


class Tracker:
    """The device end of a connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, *chunks: bytes, pause: float = 0.0) -> None:
        for chunk in chunks:
            self.writer.write(chunk)
            await self.writer.drain()
            if pause:
                await asyncio.sleep(pause)

    async def trickle(self, data: bytes, pause: float) -> bool:
        """Send `data` a byte at a time; True if the gateway hung up before the end."""
        try:
            for byte in data:
                self.writer.write(bytes([byte]))
                await self.writer.drain()
                await asyncio.sleep(pause)
        except ConnectionError:
            return True
        return False

    async def expect(self, expected: bytes, timeout: float = 2.0) -> None:
        """The next bytes from the gateway are exactly `expected`."""
        async with asyncio.timeout(timeout):
            got = await self.reader.readexactly(len(expected))
        assert got.hex() == expected.hex()

    async def receive(self, size: int, timeout: float = 2.0) -> bytes:
        async with asyncio.timeout(timeout):
            return await self.reader.readexactly(size)

    async def expect_silence(self, seconds: float = 0.2) -> None:
        """Nothing arrives for `seconds` (and the connection stays open)."""
        try:
            async with asyncio.timeout(seconds):
                got = await self.reader.read(1)
        except TimeoutError:
            return
        raise AssertionError(f"expected silence, got {got!r}")

    async def until_closed(self, timeout: float = 2.0) -> bytes | None:
        """Everything the gateway still sends before it closes the connection; None if it
        is still open after `timeout`."""
        received = b""
        try:
            async with asyncio.timeout(timeout):
                while chunk := await self.reader.read(4096):
                    received += chunk
        except TimeoutError:
            return None
        except ConnectionError:
            pass
        return received

    def close(self) -> None:
        self.writer.close()


def gt06_login(imei: str, serial: int) -> bytes:
    return gt06_frame(0x01, bytes.fromhex("0" + imei), serial)


def gt06_ack(type_: int, serial: int) -> bytes:
    """The generic GT06 acknowledgement, assembled field by field."""
    return gt06_frame(type_, b"", serial)


def jt808(message_id: int, terminal_hex: str, serial: int, body: bytes = b"") -> bytes:
    """A 2013 JT/T 808 frame as sent on the wire: header, body, XOR, escaped, flags."""
    core = (message_id.to_bytes(2, "big") + len(body).to_bytes(2, "big")
            + bytes.fromhex(terminal_hex) + serial.to_bytes(2, "big") + body)
    inner = core + bytes([xor(core)])
    escaped = inner.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")
    return b"\x7e" + escaped + b"\x7e"


def jt808_ack(terminal_hex: str, platform_serial: int, reply_serial: int, reply_id: int,
              result: int = 0) -> bytes:
    """0x8001 platform general response."""
    body = reply_serial.to_bytes(2, "big") + reply_id.to_bytes(2, "big") + bytes([result])
    return jt808(0x8001, terminal_hex, platform_serial, body)
