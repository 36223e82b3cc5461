"""GT06 (Concox / Jimi and their clones): the decoder entry point and the command encoder.

`decode` checks the frame (markers, stop bits, CRC-16/X.25), then hands it to one small
function per message type; the framer and the frame builder live in `gt06_frames`.
"""

from __future__ import annotations

import struct

from fengkong.core.errors import InvalidInput
from fengkong.telematics.protocols.bits import Truncated
from fengkong.telematics.protocols.commands import (
    Command,
    EngineResume,
    EngineStop,
    PositionQuery,
    TextCommand,
)
from fengkong.telematics.protocols.crc import crc16_x25
from fengkong.telematics.protocols.gt06_frames import LONG, SHORT, STOP, Packet, ack, build
from fengkong.telematics.protocols.gt06_frames import frame as frame
from fengkong.telematics.protocols.gt06_locations import HANDLERS as LOCATIONS
from fengkong.telematics.protocols.gt06_locations import (
    Handler,
    fence_single,
    gps_lbs,
    gps_lbs_status_4g,
    lbs_multiple_gps,
)
from fengkong.telematics.protocols.gt06_replies import (
    address_request,
    az735,
    dashcam_alarm,
    device_status,
    info,
    modular,
    string,
    string_info,
    time_request,
    x1_gps,
)
from fengkong.telematics.protocols.gt06_status import HANDLERS as STATUS
from fengkong.telematics.protocols.gt06_status import cells, status_modules, wifi
from fengkong.telematics.protocols.messages import DecodeContext, Decoded, Reason, rejected

DEFAULT_PORT = 5023
NAME = "gt06"

_HANDLERS: dict[int, Handler] = {
    **LOCATIONS, **STATUS,
    0x15: string, 0x21: string_info, 0x94: info, 0x8A: time_request, 0x2A: address_request,
    0x95: dashcam_alarm, 0x70: modular, 0xF1: device_status,
}
_UNACKED = frozenset({0x80, 0x81, 0x82})
DECODED_TYPES = frozenset({*_HANDLERS, 0x17, 0x24, 0x32, 0x33, 0x34, 0x36, 0x69, 0xA2, 0xA3})
"""Type numbers with a decoder (0x32 to 0xA3 here only in some frame kinds or lengths)."""


def decode(frame: bytes, ctx: DecodeContext) -> Decoded:
    """Decode one frame as cut by `frame()`. Never raises: a frame it cannot use comes back
    rejected, with the reason."""
    try:
        return _decode(frame, ctx)
    except Truncated as exc:
        return rejected(Reason.TRUNCATED, str(exc))
    except (ValueError, IndexError, OverflowError, struct.error) as exc:
        return rejected(Reason.MALFORMED, str(exc))


def _decode(data: bytes, ctx: DecodeContext) -> Decoded:
    size = len(data)
    start = data[:2]
    if start not in (SHORT, LONG):
        return rejected(Reason.MALFORMED, "no 7878/7979 start marker")
    if data[-2:] != STOP:
        return rejected(Reason.TRUNCATED, "no 0D0A stop bits")
    extended = start == LONG
    header = 5 if extended else 4
    if size < header + 6:
        return rejected(Reason.TRUNCATED, f"{size} bytes")
    type_ = data[header - 1]
    length = int.from_bytes(data[2:4], "big") if extended else data[2]
    if not extended and (type_ == 0x69 or (type_ == 0x17 and length + 5 != size)):
        return wifi(data, ctx)                  # no serial, no CRC in this form
    sent = int.from_bytes(data[-4:-2], "big")
    if not ctx.accept_bad_crc and crc16_x25(data[2:-4]) != sent:
        return rejected(Reason.BAD_CRC, f"CRC {sent:04x}, computed {crc16_x25(data[2:-4]):04x}")
    packet = Packet(type_, int.from_bytes(data[-6:-4], "big"), data[header:-6], extended, length)
    handler = _resolve(packet)
    if handler is None:
        replies = () if extended or type_ in _UNACKED else (ack(packet),)
        return rejected(Reason.UNKNOWN_TYPE, f"type {type_:#04x}", replies)
    return handler(packet, ctx)


def _resolve(p: Packet) -> Handler | None:
    """The handler for a packet; a few type numbers mean different layouts by frame kind or
    length, as vendors reused them."""
    t, length = p.type, p.length
    if p.extended and t in (0x32, 0x33):
        return az735
    if t in (0x17, 0x32, 0x36):
        return status_modules if t == 0x36 and length < 0x20 else gps_lbs
    if t == 0x24:
        return lbs_multiple_gps if length == 0x2E else cells
    if t == 0x34:
        return x1_gps if length != 0x37 else None
    if t == 0xA2:
        return gps_lbs_status_4g if length == 0x40 else cells
    if t == 0xA3:
        return fence_single if length >= 0x20 else None
    return _HANDLERS.get(t)


def encode(command: Command) -> bytes:
    """A 0x80 online command: length (4 + text), server flag (4), ASCII text, serial."""
    match command:
        case TextCommand(text=text, server_flag=flag):
            return online_command(text, command.serial, flag)
        case EngineStop(password=password):
            return online_command(_cut_text(command.model, password, cut=True), command.serial)
        case EngineResume(password=password):
            return online_command(_cut_text(command.model, password, cut=False), command.serial)
        case PositionQuery():
            return online_command("WHERE#", command.serial)
    raise InvalidInput(f"GT06 has no {type(command).__name__} command", field="command")


def online_command(text: str, serial: int, server_flag: int = 0) -> bytes:
    try:
        content = text.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidInput("GT06 commands are ASCII", field="text") from None
    if len(content) > 240:
        raise InvalidInput("GT06 commands are at most 240 characters", field="text")
    body = bytes((4 + len(content),)) + server_flag.to_bytes(4, "big") + content
    return build(0x80, body, serial)


def _cut_text(model: str | None, password: str | None, *, cut: bool) -> str:
    """Concox firmware disagrees on the relay command (Traccar #2178, #2323): `Relay,1#` is
    the default, `DYD,<password>#` for password-protected units, bare `DYD#` on the G109."""
    if password:
        return f"DYD,{password}#" if cut else f"HFYD,{password}#"
    if model and model.upper() == "G109":
        return "DYD#" if cut else "HFYD#"
    return "Relay,1#" if cut else "Relay,0#"
