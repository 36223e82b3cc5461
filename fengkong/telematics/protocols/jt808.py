"""JT/T 808 (2011, 2013 and 2019 headers): the decoder entry point and the command encoder.

`decode` checks the frame (flags, XOR), reads the header, returns sub-packaged parts as
`Fragment`s (see `Reassembler`), and hands whole messages to one function per message id;
framing and the header live in `jt808_frames`, the messages in `jt808_messages`.
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
    TerminalControl,
    TextCommand,
    VehicleControl,
)
from fengkong.telematics.protocols.crc import xor8
from fengkong.telematics.protocols.jt808_frames import build, parse, wire
from fengkong.telematics.protocols.jt808_frames import frame as frame
from fengkong.telematics.protocols.jt808_messages import (
    HANDLERS,
    UNSUPPORTED,
    platform_response,
)
from fengkong.telematics.protocols.messages import (
    DecodeContext,
    Decoded,
    Fragment,
    Reason,
    rejected,
)

DEFAULT_PORT = 5015
NAME = "jt808"
MIN_FRAME = 1 + 12 + 1 + 1            # flag, 2013 header, checksum, flag
DECODED_IDS = frozenset(HANDLERS)


def decode(frame: bytes, ctx: DecodeContext) -> Decoded:
    """Decode one unescaped frame as cut by `frame()`. Never raises: a frame it cannot use
    comes back rejected, with the reason."""
    try:
        return _decode(frame, ctx)
    except Truncated as exc:
        return rejected(Reason.TRUNCATED, str(exc))
    except (ValueError, IndexError, OverflowError, struct.error) as exc:
        return rejected(Reason.MALFORMED, str(exc))


def _decode(data: bytes, ctx: DecodeContext) -> Decoded:
    if len(data) < MIN_FRAME:
        return rejected(Reason.TRUNCATED, f"{len(data)} bytes")
    if data[0] != 0x7E or data[-1] != 0x7E:
        return rejected(Reason.MALFORMED, "no 7E flags")
    sent, computed = data[-2], xor8(data[1:-2])
    if sent != computed and not ctx.accept_bad_crc:
        return rejected(Reason.BAD_CHECKSUM, f"XOR {sent:02x}, computed {computed:02x}")
    h = parse(data)
    handler = HANDLERS.get(h.message_id)
    if handler is None:
        unsupported = platform_response(h.device_id, h.serial, h.message_id, UNSUPPORTED,
                                        serial=ctx.reply_serial, version=h.version)
        return rejected(Reason.UNKNOWN_TYPE, f"message {h.message_id:#06x}", (unsupported,))
    if h.encrypted:
        return rejected(Reason.ENCRYPTED, f"properties {h.properties:04x}")
    if h.total is not None and h.part is not None and h.total > 1:
        part = Fragment(h.device_id, h.message_id, h.serial, h.total, h.part, h.body, h.version)
        ack = platform_response(h.device_id, h.serial, h.message_id, serial=ctx.reply_serial,
                                version=h.version)
        return Decoded(messages=(part,), replies=(ack,))
    return handler(h, ctx)


# Vendor words for the fuel/power cut in 0x8105 (cut, restore); Traccar's defaults.
_CUT_WORDS: dict[str, tuple[int, int]] = {"W15L": (0x64, 0x65)}
# Jimi dashcams take text commands as 0x8900 transparent data led by 0xF0.
_JIMI_MODELS = frozenset({"JC371", "JC181", "JC182", "JC450", "JC451"})


def encode(command: Command) -> bytes:
    """The frame for a command, escaped and checksummed, addressed to `command.device_id`."""
    try:
        return _encode(command)
    except UnicodeEncodeError:
        raise InvalidInput("the text cannot be sent in this encoding", field="text") from None


def _encode(command: Command) -> bytes:
    match command:
        case TerminalControl(word=word, params=params):
            return _message(command, 0x8105, bytes((word,)) + params.encode("gbk"))
        case EngineStop() | EngineResume():
            cut, restore = _CUT_WORDS.get((command.model or "").upper(), (0xF0, 0xF1))
            word = cut if isinstance(command, EngineStop) else restore
            return _message(command, 0x8105, bytes((word,)))
        case VehicleControl(flag=flag, items=items):
            return _message(command, 0x8500, _vehicle_control(command, flag, items))
        case PositionQuery():
            return _message(command, 0x8201, b"")
        case TextCommand(text=text) if (command.model or "").upper() in _JIMI_MODELS:
            return _message(command, 0x8900, b"\xf0" + text.encode("ascii"))
        case TextCommand(text=text, flag=flag):
            return _message(command, 0x8300, bytes((flag,)) + text.encode("gbk"))
    raise InvalidInput(f"JT/T 808 has no {type(command).__name__} command", field="command")


def _vehicle_control(command: Command, flag: int,
                     items: tuple[tuple[int, bytes], ...]) -> bytes:
    if command.protocol_version is None:
        return bytes((flag,))
    entries = items or ((0x0001, bytes((flag,))),)
    return len(entries).to_bytes(2, "big") + b"".join(
        kind.to_bytes(2, "big") + value for kind, value in entries)


def _message(command: Command, message_id: int, body: bytes) -> bytes:
    if len(body) > 0x03FF:
        raise InvalidInput("JT/T 808 message bodies are at most 1023 bytes", field="command")
    try:
        frame = build(message_id, command.device_id, command.serial, body,
                      command.protocol_version)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="device_id") from None
    return wire(frame)
