"""In-memory stand-ins for what the gateway is given: a device directory, a sink that records
batches (and can be made slow or failing), and a status listener that records events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from fengkong.telematics.gateway import DeviceInfo, Inbound
from fengkong.telematics.protocols.messages import Message


class InMemoryDirectory:
    def __init__(self, *devices: DeviceInfo, code: str = "authentication") -> None:
        self.devices = {(d.protocol, d.identifier): d for d in devices}
        self.unknown: list[tuple[str, str, str]] = []
        self.code = code
        self.issued: dict[str, str] = {}

    async def lookup(self, protocol: str, identifier: str) -> DeviceInfo | None:
        return self.devices.get((protocol, identifier))

    async def note_unknown(self, protocol: str, identifier: str, remote: str) -> None:
        self.unknown.append((protocol, identifier, remote))

    async def issue_auth_code(self, device: DeviceInfo) -> str:
        self.issued[device.device_id] = self.code
        return self.code

    async def check_auth_code(self, device: DeviceInfo, code: str) -> bool:
        return self.issued.get(device.device_id) == code


class RecordingSink:
    """Keeps every stored batch. `fail` makes `store` raise; `gate`, when set, holds each
    `store` until the test sets the event (`entered` tells the test a store is waiting)."""

    def __init__(self) -> None:
        self.batches: list[list[Inbound]] = []
        self.fail = False
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.calls = 0

    async def store(self, batch: Sequence[Inbound]) -> None:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise OSError("disk on fire")
        self.batches.append(list(batch))

    @property
    def inbound(self) -> list[Inbound]:
        return [item for batch in self.batches for item in batch]

    def messages(self, device_id: str | None = None) -> list[Message]:
        return [message for item in self.inbound
                if device_id is None or item.device_id == device_id
                for message in item.messages]

    async def wait_for(self, count: int, timeout: float = 2.0) -> list[Message]:
        """Wait until at least `count` messages are stored."""
        async with asyncio.timeout(timeout):
            while len(self.messages()) < count:
                await asyncio.sleep(0.005)
        return self.messages()


class RecordingStatus:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def device_online(self, device: DeviceInfo, remote: str, at: datetime) -> None:
        self.events.append(("online", device.device_id))

    async def device_offline(self, device: DeviceInfo, at: datetime) -> None:
        self.events.append(("offline", device.device_id))
