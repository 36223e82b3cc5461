"""JT/T 808 terminal messages, one function each, and the platform replies they call for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader, Truncated, bcd_time
from fengkong.telematics.protocols.jt808_frames import Header, build, wire
from fengkong.telematics.protocols.jt808_location import STANDARD_ITEMS, Item, read_location, zone
from fengkong.telematics.protocols.jt808_vendor import VENDOR_ITEMS
from fengkong.telematics.protocols.messages import (
    Authentication,
    CommandReply,
    DecodeContext,
    Decoded,
    Login,
    Logout,
    Message,
    Registration,
    TerminalResponse,
    TimeRequest,
)
from fengkong.telematics.protocols.position import Status

Handler = Callable[[Header, DecodeContext], Decoded]
ITEMS: dict[int, Item] = {**VENDOR_ITEMS, **STANDARD_ITEMS}

OK, FAILED, BAD_MESSAGE, UNSUPPORTED = 0, 1, 2, 3


def platform_response(device_id: str, reply_serial: int, reply_id: int, result: int = OK, *,
                      serial: int = 0, version: int | None = None) -> bytes:
    """0x8001: the serial and id of the terminal message answered, and the result (0 ok,
    1 failed, 2 bad message, 3 unsupported, 4 alarm confirmed). Escaped, ready to send."""
    body = reply_serial.to_bytes(2, "big") + reply_id.to_bytes(2, "big") + bytes((result,))
    return wire(build(0x8001, device_id, serial, body, version))


def registration_response(login: Login, auth_code: str | None, result: int = OK, *,
                          serial: int = 0) -> bytes:
    """0x8100: the registration serial, the result (0 ok, 1 vehicle already registered,
    2 no such vehicle, 3 terminal already registered, 4 no such terminal) and, on success
    only, the authentication code fengkong issued."""
    body = login.serial.to_bytes(2, "big") + bytes((result,))
    if result == OK and auth_code is not None:
        body += auth_code.encode("gbk")
    return wire(build(0x8100, login.device_id, serial, body, login.protocol_version))


def _ack(h: Header, ctx: DecodeContext, result: int = OK) -> bytes:
    return platform_response(h.device_id, h.serial, h.message_id, result,
                             serial=ctx.reply_serial, version=h.version)


def _answered(h: Header, ctx: DecodeContext, *messages: Message) -> Decoded:
    return Decoded(messages=messages, replies=(_ack(h, ctx),))


def _text(data: bytes, encoding: str = "gbk") -> str:
    return data.decode(encoding, "replace").replace("\x00", "").strip()


def _printable(data: bytes) -> str:
    """A fixed-width text field; some terminals put BCD there, which is kept as hex."""
    text = _text(data)
    return text if text.isascii() and text.isprintable() else data.hex()


def terminal_response(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0001: reply serial, reply id, result. Needs no answer."""
    r = Reader(h.body)
    response = TerminalResponse(h.device_id, h.serial, r.u16(), r.u16(), r.u8())
    return Decoded(messages=(response,))


def heartbeat(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0002: empty, or (vendors) battery level, signal, status."""
    attrs = {}
    if len(h.body) >= 3:
        attrs = {key.BATTERY_LEVEL: h.body[0], key.RSSI: h.body[1], key.STATUS: h.body[2]}
    return _answered(h, ctx, Status(h.device_id, None, attrs))


def logout(h: Header, ctx: DecodeContext) -> Decoded:
    return _answered(h, ctx, Logout(h.device_id, h.serial))


def registration(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0100: province, city, manufacturer (5; 2019: 11), model (20; 2011: 8; 2019: 30),
    terminal id (7; 2019: 30), plate colour, plate. Answered with 0x8100 carrying
    `ctx.auth_code`; without one there is no answer (the session may send its own)."""
    r = Reader(h.body)
    province, city = r.u16(), r.u16()
    if h.version is not None:
        sizes = (11, 30, 30)
    elif len(h.body) >= 2 + 2 + 5 + 20 + 7 + 1:
        sizes = (5, 20, 7)
    else:
        sizes = (5, 8, 7)
    manufacturer, model, terminal = (_printable(r.take(size)) for size in sizes)
    color = r.u8() if r.remaining else 0
    data = Registration(province, city, manufacturer, model, terminal, color, _text(r.rest()))
    login = Login(h.device_id, h.serial, None, data, h.version)
    if ctx.auth_code is None:
        return Decoded(messages=(login,))
    reply = registration_response(login, ctx.auth_code, serial=ctx.reply_serial)
    return Decoded(messages=(login,), replies=(reply,))


def authentication(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0102: the code (2019: its length first, then IMEI (15) and firmware (20)). The ack
    says ok; a session that finds the code wrong sends `platform_response(..., FAILED)`."""
    if h.version is None:
        found = Authentication(h.device_id, h.serial, _text(h.body, "ascii"))
    else:
        r = Reader(h.body)
        code = _text(r.take(r.u8()), "ascii")
        imei = _text(r.take(15), "ascii") if r.remaining >= 15 else None
        firmware = _text(r.rest(), "ascii") or None
        found = Authentication(h.device_id, h.serial, code, imei, firmware, h.version)
    return _answered(h, ctx, found)


def attributes(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0107: type (2), manufacturer (5), model (20), terminal id (7), ICCID (10 BCD), ..."""
    r = Reader(h.body)
    r.skip(2 + 5 + 20 + 7)
    status = Status(h.device_id, None, {key.ICCID: r.take(10).hex()})
    return _answered(h, ctx, status)


def location(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0200."""
    return _answered(h, ctx, read_location(Reader(h.body), ctx, h.device_id, ITEMS))


def location_answer(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0201 (answer to a 0x8201 query) and 0x0500 (to 0x8500 vehicle control): the serial
    of the platform message answered, then a location. Needs no answer."""
    r = Reader(h.body)
    reply_serial = r.u16()
    reply_id = 0x8201 if h.message_id == 0x0201 else 0x8500
    done = TerminalResponse(h.device_id, h.serial, reply_serial, reply_id, OK)
    return Decoded(messages=(done, read_location(r, ctx, h.device_id, ITEMS)))


def batch(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0704: count (2), type (0 normal, 1 blind-area re-upload), then (length (2), location)
    items. 0x0210 (vendor): (length (1), location) items, or with 7 bytes a battery level and a
    time. An item that does not decode is skipped; its neighbours are kept."""
    r = Reader(h.body)
    if h.message_id == 0x0210 and len(h.body) == 7:
        level, raw_time = r.u8(), r.take(6)
        return _answered(h, ctx, Status(h.device_id, _time(raw_time, ctx),
                                        {key.BATTERY_LEVEL: level}))
    archived, length_size = False, 1
    if h.message_id == 0x0704:
        r.skip(2)
        archived, length_size = r.u8() == 1, 2
    found: list[Message] = []
    while r.remaining >= length_size:
        item = Reader(r.take(r.uint(length_size)))
        try:
            found.append(read_location(item, ctx, h.device_id, ITEMS, archived=archived))
        except (Truncated, ValueError):
            continue
    return _answered(h, ctx, *found)


def _time(raw: bytes, ctx: DecodeContext) -> datetime | None:
    try:
        return bcd_time(raw, zone(ctx))
    except ValueError:
        return None


def time_sync(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0109: answered by 0x8109 with the UTC time of receipt: year (2), month, day, hour,
    minute, second, result."""
    now = ctx.received_at.astimezone(UTC)
    body = now.year.to_bytes(2, "big") + bytes((now.month, now.day, now.hour, now.minute,
                                                now.second, OK))
    reply = wire(build(0x8109, h.device_id, ctx.reply_serial, body, h.version))
    return Decoded(messages=(TimeRequest(h.device_id, h.serial),), replies=(reply,))


def acknowledged(h: Header, ctx: DecodeContext) -> Decoded:
    """0x1007 time-zone sync and the like: nothing to keep, an ack to send."""
    return Decoded(replies=(_ack(h, ctx),))


def command_text(h: Header, ctx: DecodeContext) -> Decoded:
    """0x0701 (length (4), ASCII), 0x1300 (reply serial (2), UTF-16BE) and 0x6006
    (encoding (1), GBK): text a device sent back to a command."""
    r = Reader(h.body)
    reply_serial = None
    if h.message_id == 0x0701:
        text = _text(r.take(min(r.u32(), r.remaining)), "ascii")
    elif h.message_id == 0x1300:
        reply_serial = r.u16()
        text = _text(r.rest(), "utf-16-be")
    else:
        r.skip(1)
        text = _text(r.rest())
    reply = CommandReply(h.device_id, text, h.serial, reply_serial=reply_serial)
    return _answered(h, ctx, reply)


HANDLERS: dict[int, Handler] = {
    0x0001: terminal_response, 0x0002: heartbeat, 0x0003: logout, 0x0100: registration,
    0x0102: authentication, 0x0107: attributes, 0x0200: location, 0x0201: location_answer,
    0x0500: location_answer, 0x0704: batch, 0x0210: batch, 0x0109: time_sync,
    0x1007: acknowledged, 0x0701: command_text, 0x1300: command_text, 0x6006: command_text,
}
