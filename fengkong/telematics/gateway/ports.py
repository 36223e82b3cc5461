"""What the gateway needs from the rest of fengkong, named as interfaces: who a device is, where
decoded packets go, and who hears about devices coming and going.

The gateway owns sockets and sessions only. It never touches a database: the composition root
hands it a `DeviceDirectory`, a `PacketSink` and a `StatusListener`, and the tests hand it
in-memory ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol

from fengkong.telematics.protocols.messages import DecodeContext, Message


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A registered tracker as the gateway needs to know it. `identifier` is the IMEI or
    JT/T 808 terminal phone as the directory stores it; `device_id` is fengkong's own id."""

    tenant_id: str
    device_id: str
    identifier: str
    protocol: str
    model: str | None = None
    accept_bad_crc: bool = False        # broken firmware: keep frames whose CRC/XOR is wrong
    timezone: tzinfo | None = None      # device clock zone; None: the protocol's default


@dataclass(frozen=True, slots=True)
class Inbound:
    """The decoded messages of one frame from an identified device, with the frame itself for
    audit and debugging. The gateway acknowledges the frame only after the sink stored this."""

    tenant_id: str
    device_id: str
    protocol: str
    received_at: datetime               # UTC-aware time the bytes were read
    messages: tuple[Message, ...]
    raw: bytes                          # the frame as decoded (JT/T 808: unescaped)
    # What the frame was decoded with (the login's clock zone included), so that a pipeline
    # across a queue can decode `raw` again to the same messages.
    context: DecodeContext | None = None


class DeviceDirectory(Protocol):
    """Who a device is. Implemented over the device registry; calls may hit the database."""

    async def lookup(self, protocol: str, identifier: str) -> DeviceInfo | None:
        """The registered device with this identifier, or None. Called once per connection
        for a known device, but for every frame of an unknown one (cache if that costs)."""
        ...

    async def note_unknown(self, protocol: str, identifier: str, remote: str) -> None:
        """An unregistered identifier spoke (it becomes a pending device for installers).
        Called for each frame that names it with a valid checksum; `remote` is host:port."""
        ...

    async def issue_auth_code(self, device: DeviceInfo) -> str:
        """JT/T 808 registration: a code the terminal must present in 0x0102 from now on."""
        ...

    async def check_auth_code(self, device: DeviceInfo, code: str) -> bool:
        """JT/T 808 authentication: whether `code` is the one issued to this device."""
        ...


class PacketSink(Protocol):
    """Where decoded packets go: the position pipeline, or a durable queue in front of it."""

    async def store(self, batch: Sequence[Inbound]) -> None:
        """Return only once every item of `batch` is durable; raise if it is not. The gateway
        sends the acknowledgements of the batch after this returns, and none if it raises."""
        ...


class StatusListener(Protocol):
    """Hears when a device's connection is identified and when it closes."""

    async def device_online(self, device: DeviceInfo, remote: str, at: datetime) -> None: ...

    async def device_offline(self, device: DeviceInfo, at: datetime) -> None: ...


class NoStatusListener:
    """The listener used when none is given."""

    async def device_online(self, device: DeviceInfo, remote: str, at: datetime) -> None:
        return None

    async def device_offline(self, device: DeviceInfo, at: datetime) -> None:
        return None
