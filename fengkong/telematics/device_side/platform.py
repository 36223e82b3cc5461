"""Reading what the platform sends to a device: GT06 acknowledgements, online commands and
time replies; JT/T 808 general and registration responses, terminal and vehicle control,
text messages, position queries and time replies.

A device cuts frames with the product's framers (the framing is symmetric) and reads them
here. `read_gt06` and `read_jt808` raise `ValueError` for a frame that fails its checksum or
is too short: a real device drops such a frame, and so does the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fengkong.telematics.protocols.bits import Reader, Truncated
from fengkong.telematics.protocols.crc import crc16_x25, xor8
from fengkong.telematics.protocols.jt808_frames import parse


@dataclass(frozen=True, slots=True)
class Ack:
    """GT06: the platform echoes the type and serial of the frame it acknowledges."""

    type: int
    serial: int


@dataclass(frozen=True, slots=True)
class OnlineCommand:
    """GT06 0x80: a text command; the reply must echo `server_flag`."""

    serial: int
    server_flag: int
    text: str


@dataclass(frozen=True, slots=True)
class ServerTime:
    """GT06 0x8A reply or JT/T 808 0x8109: the platform's UTC time."""

    serial: int
    time: datetime


@dataclass(frozen=True, slots=True)
class UnknownGt06:
    type: int
    serial: int
    content: bytes


Gt06Message = Ack | OnlineCommand | ServerTime | UnknownGt06


def read_gt06(frame: bytes) -> Gt06Message:
    """One 7878/7979 frame from the platform, as cut by `gt06.frame`."""
    extended = frame[:2] == b"\x79\x79"
    header = 5 if extended else 4
    if len(frame) < header + 6 or frame[:2] not in (b"\x78\x78", b"\x79\x79"):
        raise ValueError("not a GT06 frame")
    sent = int.from_bytes(frame[-4:-2], "big")
    if crc16_x25(frame[2:-4]) != sent:
        raise ValueError(f"bad CRC {sent:04x}")
    type_ = frame[header - 1]
    serial = int.from_bytes(frame[-6:-4], "big")
    content = frame[header:-6]
    try:
        return _gt06_message(type_, serial, content)
    except Truncated as exc:
        raise ValueError(str(exc)) from None


def _gt06_message(type_: int, serial: int, content: bytes) -> Gt06Message:
    if type_ == 0x80:
        r = Reader(content)
        size, flag = r.u8(), r.u32()
        return OnlineCommand(serial, flag, r.take(size - 4).decode("ascii", "replace"))
    if type_ == 0x8A and len(content) == 6:
        year, month, day, hour, minute, second = content
        return ServerTime(serial, datetime(2000 + year, month, day, hour, minute, second,
                                           tzinfo=UTC))
    if not content:
        return Ack(type_, serial)
    return UnknownGt06(type_, serial, content)


@dataclass(frozen=True, slots=True)
class PlatformResponse:
    """JT/T 808 0x8001: the platform's result for the terminal message `reply_id` numbered
    `reply_serial` (0 ok, 1 failed, 2 bad message, 3 unsupported, 4 alarm confirmed)."""

    device_id: str
    serial: int
    reply_serial: int
    reply_id: int
    result: int


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    """JT/T 808 0x8100: the registration answered, its result and (when 0) the auth code."""

    device_id: str
    serial: int
    reply_serial: int
    result: int
    auth_code: str


@dataclass(frozen=True, slots=True)
class TerminalControl:
    """JT/T 808 0x8105: a command word and its `;`-separated parameters."""

    device_id: str
    serial: int
    word: int
    params: str


@dataclass(frozen=True, slots=True)
class TextMessage:
    """JT/T 808 0x8300 (flag byte, GBK text) or a Jimi 0x8900 transparent text (flag 0xF0)."""

    device_id: str
    serial: int
    flag: int
    text: str
    message_id: int = 0x8300


@dataclass(frozen=True, slots=True)
class LocationQuery:
    """JT/T 808 0x8201: answer with a 0x0201 location."""

    device_id: str
    serial: int


@dataclass(frozen=True, slots=True)
class VehicleControl:
    """JT/T 808 0x8500: one flag byte (2013), or (type, value) items (2019)."""

    device_id: str
    serial: int
    flag: int | None
    items: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class UnknownJt808:
    device_id: str
    serial: int
    message_id: int
    body: bytes


Jt808Message = (PlatformResponse | RegistrationResult | TerminalControl | TextMessage
                | LocationQuery | VehicleControl | ServerTime | UnknownJt808)


def read_jt808(frame: bytes) -> Jt808Message:
    """One unescaped frame from the platform, as cut by `jt808.frame`."""
    if len(frame) < 15 or frame[0] != 0x7E or frame[-1] != 0x7E:
        raise ValueError("not a JT/T 808 frame")
    if xor8(frame[1:-2]) != frame[-2]:
        raise ValueError(f"bad XOR {frame[-2]:02x}")
    try:
        h = parse(frame)
        return _jt808_message(h.message_id, h.device_id, h.serial, h.version, h.body)
    except Truncated as exc:
        raise ValueError(str(exc)) from None


def _jt808_message(message_id: int, device: str, serial: int, version: int | None,
                   body: bytes) -> Jt808Message:
    r = Reader(body)
    if message_id == 0x8001:
        return PlatformResponse(device, serial, r.u16(), r.u16(), r.u8())
    if message_id == 0x8100:
        reply_serial, result = r.u16(), r.u8()
        return RegistrationResult(device, serial, reply_serial, result,
                                  r.rest().decode("gbk", "replace"))
    if message_id == 0x8105:
        return TerminalControl(device, serial, r.u8(), r.rest().decode("gbk", "replace"))
    if message_id == 0x8300:
        return TextMessage(device, serial, r.u8(), r.rest().decode("gbk", "replace"))
    if message_id == 0x8900:
        return TextMessage(device, serial, r.u8(), r.rest().decode("ascii", "replace"),
                           message_id=0x8900)
    if message_id == 0x8201:
        return LocationQuery(device, serial)
    if message_id == 0x8500:
        return _vehicle_control(device, serial, version, r)
    if message_id == 0x8109:
        year = r.u16()
        month, day, hour, minute, second = (r.u8() for _ in range(5))
        return ServerTime(serial, datetime(year, month, day, hour, minute, second, tzinfo=UTC))
    return UnknownJt808(device, serial, message_id, body)


def _vehicle_control(device: str, serial: int, version: int | None,
                     r: Reader) -> VehicleControl:
    if version is None:
        return VehicleControl(device, serial, r.u8())
    items: list[tuple[int, bytes]] = []
    for _ in range(r.u16()):
        kind = r.u16()
        items.append((kind, r.take(1) if kind == 0x0001 else r.rest()))
    return VehicleControl(device, serial, None, tuple(items))
